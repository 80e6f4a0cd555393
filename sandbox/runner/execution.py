"""The child side of one execution: run the code in a fresh event loop.

The code is parsed and its statements become the body of an `async def`, so
top-level `await` (and `return`) work. Every declared tool is an async function
in the code's globals, called with keyword arguments.

Tool calls are batched: a call only creates a Future and records it. A
dispatcher task waits until nothing else in the event loop is runnable, then
sends every pending call (up to the execution's `max_tool_calls`; the rest go
next) in ONE `tool_calls` frame and blocks (the whole loop, deliberately)
reading the matching `tool_results` frame. So calls issued together
(asyncio.gather, tasks) arrive together, and a call issued after a result
arrives goes out in a later message.

The child never holds the service's channel: its frames go to the runner
parent over a private pipe pair of this execution only (`calls_out`,
`results_in`), and the parent checks and forwards them.
"""

import ast
import asyncio
import json
import linecache
import os
import sys
import traceback

from framing import FrameError, read_frame, write_frame
from limits import ExecutionLimits

# Name of the synthetic coroutine function; shows up in tracebacks.
_ENTRY_NAME = "__execution__"
# The file name tracebacks give the code; the service can recognise it.
_CODE_FILENAME = "<code>"
# Fallback for idle detection when the loop's ready queue is not inspectable.
_YIELDS_WITHOUT_READY_QUEUE = 16
# A task that spins on `await asyncio.sleep(0)` keeps the loop busy forever; after
# this many yields the pending calls are sent anyway rather than never.
_MAX_IDLE_YIELDS = 1000


class ToolError(Exception):
    """A tool returned an error result (`is_error`); the message is its content."""


def run_child(request: dict, limits: ExecutionLimits, results_in: int, calls_out: int,
              stdout_w: int, stderr_w: int, status_w: int) -> None:
    """Run one execution and exit the process; never returns."""
    _capture_output(stdout_w, stderr_w)
    # Imports resolve against the working directory (modules the code wrote in
    # earlier executions), as for `python3 script.py`, not the runner's own dir.
    sys.path[:] = [os.getcwd()] + [entry for entry in sys.path if entry != os.path.dirname(os.path.abspath(__file__))]
    # Likewise the runner's modules: a file the code names `framing.py` must win.
    for runner_module in ("framing", "execution", "limits", "supervisor", "processes"):
        sys.modules.pop(runner_module, None)
    return_code = 1
    try:
        return_code = _run_code(request, _ToolChannel(limits, results_in, calls_out))
    except BaseException:  # The runner's own failure: still report it as code failure.
        traceback.print_exc()
    finally:
        _flush_standard_streams()
    os.write(status_w, json.dumps({"return_code": return_code}).encode("utf-8"))
    # os._exit: skip atexit handlers and buffers inherited from the parent.
    os._exit(0)


def _capture_output(stdout_w: int, stderr_w: int) -> None:
    """Point fds 1 and 2 at the capture pipes, so subprocess output is caught too."""
    os.dup2(stdout_w, 1)
    os.dup2(stderr_w, 2)
    os.close(stdout_w)
    os.close(stderr_w)
    # Rebuild the text streams so Python-level buffering is fresh and line-based.
    sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False, buffering=1)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)


def _flush_standard_streams() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            pass


def _run_code(request: dict, channel: "_ToolChannel") -> int:
    """Return the execution's return code: 0, 1 for an exception, or sys.exit's code."""
    code = request.get("code")
    if not isinstance(code, str):
        print("execute request has no code", file=sys.stderr)
        return 1
    try:
        entry = _compile_as_coroutine(code)
    except SyntaxError:
        traceback.print_exc(limit=0)
        return 1

    namespace = {"__name__": "__main__", "__builtins__": __builtins__, "ToolError": ToolError}
    for tool in request.get("tools") or []:
        name = tool.get("name") if isinstance(tool, dict) else None
        if isinstance(name, str) and name:
            namespace[_python_name(name)] = channel.tool_function(name, tool.get("description"))
    exec(entry, namespace)
    main = namespace[_ENTRY_NAME]

    try:
        asyncio.run(main())
    except SystemExit as exit_request:
        return _exit_code(exit_request)
    except BaseException:
        # Drop the runner's own frames from the traceback: start at the code.
        error_type, error, tb = sys.exc_info()
        while tb is not None and tb.tb_frame.f_code.co_filename != _CODE_FILENAME:
            tb = tb.tb_next
        traceback.print_exception(error_type, error, tb)
        return 1
    return 0


def _compile_as_coroutine(code: str):
    """Wrap the code's statements in `async def __execution__():` at the AST level.

    Working on the AST (rather than indenting the source) keeps line numbers and
    the contents of multi-line strings exactly as written.
    """
    module = ast.parse(code, filename=_CODE_FILENAME, mode="exec")
    # Let tracebacks quote the offending source lines.
    linecache.cache[_CODE_FILENAME] = (len(code), None, code.splitlines(True), _CODE_FILENAME)
    body = module.body or [ast.Pass()]
    function = ast.AsyncFunctionDef(
        name=_ENTRY_NAME,
        args=ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[],
                           kw_defaults=[], kwarg=None, defaults=[]),
        body=body, decorator_list=[], returns=None, type_comment=None)
    wrapper = ast.Module(body=[function], type_ignores=[])
    ast.fix_missing_locations(wrapper)
    return compile(wrapper, _CODE_FILENAME, "exec")


def _python_name(tool_name: str) -> str:
    """Tool names may contain '-', which Python identifiers cannot."""
    return tool_name.replace("-", "_")


def _exit_code(exit_request: SystemExit) -> int:
    """Mirror the interpreter: sys.exit() / sys.exit(0) is success, a message is 1."""
    code = exit_request.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


class _ToolChannel:
    """Pending tool calls of one execution and the frames that resolve them."""

    def __init__(self, limits: ExecutionLimits, results_in: int, calls_out: int) -> None:
        self._limits = limits
        self._results_in = results_in
        self._calls_out = calls_out
        self._pending: dict[str, tuple[asyncio.Future, str, dict]] = {}
        self._next_call = 0
        self._dispatch_scheduled = False

    def tool_function(self, name: str, description):
        channel = self

        async def call_tool(**kwargs):
            return await channel._call(name, kwargs)

        call_tool.__name__ = _python_name(name)
        call_tool.__doc__ = description if isinstance(description, str) else None
        return call_tool

    def _call(self, name: str, arguments: dict) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        self._next_call += 1
        call_id = f"call_{self._next_call}"
        future = loop.create_future()
        self._pending[call_id] = (future, name, arguments)
        if not self._dispatch_scheduled:
            self._dispatch_scheduled = True
            loop.create_task(self._dispatch_when_idle())
        return future

    async def _dispatch_when_idle(self) -> None:
        await _until_idle()
        self._dispatch_scheduled = False
        live = [(call_id, entry) for call_id, entry in self._pending.items() if not entry[0].done()]
        batch = dict(live[:self._limits.max_tool_calls])
        # Calls past the per-message cap stay pending and go in the next message.
        self._pending = dict(live[self._limits.max_tool_calls:])
        if self._pending:
            self._dispatch_scheduled = True
            asyncio.get_running_loop().create_task(self._dispatch_when_idle())
        if not batch:
            return  # Every pending call was cancelled before it was sent.
        calls = [{"call_id": call_id, "name": name, "input": arguments}
                 for call_id, (_, name, arguments) in batch.items()]
        try:
            write_frame(self._calls_out, {"type": "tool_calls", "calls": calls}, self._limits.calls_frame_bytes)
        except (FrameError, TypeError, ValueError) as error:
            # Unsendable input (not JSON-serialisable or too large): fail those calls.
            for future, _, _ in batch.values():
                if not future.done():
                    future.set_exception(ToolError(f"tool call could not be sent: {error}"))
            return
        self._resolve(batch, self._read_results())

    def _read_results(self) -> dict:
        """Block until the parent passes the service's answer on; the event loop waits with us on purpose."""
        message = read_frame(self._results_in)
        if not isinstance(message, dict):
            os._exit(0)  # The runner went away; nobody is left to report to.
        return {result.get("call_id"): result
                for result in message.get("results") or [] if isinstance(result, dict)}

    @staticmethod
    def _resolve(batch: dict, results: dict) -> None:
        for call_id, (future, name, _) in batch.items():
            if future.done():
                continue
            result = results.get(call_id)
            if result is None:
                future.set_exception(ToolError(f"no result was returned for the {name} call"))
            elif result.get("is_error"):
                future.set_exception(ToolError(_as_text(result.get("content"))))
            else:
                future.set_result(result.get("content"))


async def _until_idle() -> None:
    """Yield until no other callback in the loop is ready to run.

    After `await asyncio.sleep(0)` resumes us, the loop's ready queue holds only
    callbacks scheduled after ours; when it is empty, every task is blocked on
    something (a tool call, a timer, I/O), so the batch is complete.
    """
    loop = asyncio.get_running_loop()
    ready = getattr(loop, "_ready", None)
    if ready is None:
        for _ in range(_YIELDS_WITHOUT_READY_QUEUE):
            await asyncio.sleep(0)
        return
    await asyncio.sleep(0)
    for _ in range(_MAX_IDLE_YIELDS):
        if len(ready) == 0:
            return
        await asyncio.sleep(0)


def _as_text(content) -> str:
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
