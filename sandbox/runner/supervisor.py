"""The parent's side of one execution: everything between fork and the answer.

The child (the code) can write anything to the pipes it holds, so whatever
comes from it is checked here before it reaches the service: output against
the cap, tool calls against the frame size, the call count, the declared tool
names and the protocol's order (one batch, then wait for its results). Nothing
the child sends can block the parent: its pipes are read as bytes become
ready, its frames assembled by a capped FrameDecoder. The service's own frames
(trusted) are read whole, and its results written to the child as the pipe
takes them, so a child that stops reading cannot stall the parent either.
"""

import json
import os
import select
import signal

from framing import FrameDecoder, FrameError, encode_frame, read_frame, write_frame
from limits import ExecutionLimits
from processes import reap

# How often the parent checks whether the child has exited while draining pipes.
POLL_SECONDS = 0.05


class ExecutionPipes:
    """The parent's ends of one execution's private pipes."""

    def __init__(self, stdout_r: int, stderr_r: int, status_r: int, calls_r: int, results_w: int) -> None:
        self.stdout_r, self.stderr_r, self.status_r = stdout_r, stderr_r, status_r
        self.calls_r, self.results_w = calls_r, results_w

    def close(self) -> None:
        for fd in (self.stdout_r, self.stderr_r, self.status_r, self.calls_r, self.results_w):
            try:
                os.close(fd)
            except OSError:
                pass


class Outcome:
    """What the parent observed of one child."""

    def __init__(self) -> None:
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.status = bytearray()
        self.too_large = False
        # Why the child's tool-call frames were refused, when they were.
        self.broken: str | None = None
        self.return_code: int | None = None
        self.exit_description = ""


class Supervisor:
    """Drains output, relays tool calls and results, and waits for the child to exit."""

    def __init__(self, pid: int, request: dict, limits: ExecutionLimits, pipes: ExecutionPipes,
                 frames_in: int, frames_out: int) -> None:
        self._pid = pid
        self._execution_id = request.get("execution_id")
        self._tools = {tool.get("name") for tool in request.get("tools") or [] if isinstance(tool, dict)}
        self._limits = limits
        self._pipes = pipes
        self._frames_in = frames_in
        self._frames_out = frames_out
        self._calls = FrameDecoder(limits.calls_frame_bytes)
        self._awaiting_results = False
        self._to_child = bytearray()
        self.outcome = Outcome()
        self._sinks = {pipes.stdout_r: self.outcome.stdout, pipes.stderr_r: self.outcome.stderr,
                       pipes.status_r: self.outcome.status}
        self._open = {pipes.stdout_r, pipes.stderr_r, pipes.status_r, pipes.calls_r}

    def run(self) -> Outcome:
        """Returns once the child has exited (or was killed for breaking a cap)."""
        exit_status = None
        while exit_status is None:
            self._step(POLL_SECONDS)
            if self.outcome.too_large or self.outcome.broken is not None:
                _kill_group(self._pid)
                os.waitpid(self._pid, 0)
                return self.outcome
            # Orphans of the code are ours to reap as they exit, or zombies would fill the pid limit.
            exit_status = reap(self._pid)
        self.outcome.exit_description = _describe_exit(exit_status)
        return self.outcome

    def finish(self) -> None:
        """After every process of the execution is gone: collect what is still in the pipes."""
        outcome = self.outcome
        # Calls written by a child that then exited are not for anyone: the answer is its outcome.
        self._awaiting_results = False
        self._open.discard(self._pipes.calls_r)
        while self._open and self._step(0) and not outcome.too_large:
            pass
        try:
            outcome.return_code = int(json.loads(outcome.status.decode("utf-8"))["return_code"])
        except (ValueError, KeyError, TypeError):
            outcome.return_code = None  # No status written: the child died abnormally.

    def _step(self, timeout: float) -> bool:
        """One select over every channel; False when nothing was ready."""
        readers = list(self._open) + ([self._frames_in] if self._awaiting_results else [])
        writers = [self._pipes.results_w] if self._to_child else []
        readable, writable, _ = select.select(readers, writers, [], timeout)
        for fd in readable:
            if fd == self._frames_in:
                self._from_service()
            elif fd == self._pipes.calls_r:
                self._from_child_calls()
            else:
                self._from_output(fd)
        if writable:
            self._to_child_pipe()
        return bool(readable or writable)

    def _from_output(self, fd: int) -> None:
        chunk = os.read(fd, 65536)
        if not chunk:
            self._open.discard(fd)
            return
        sink = self._sinks[fd]
        if sink is self.outcome.status:
            sink.extend(chunk[:max(256 - len(sink), 0)])  # a return code, nothing more
            return
        # The cap covers stdout and stderr together; keep what fits, flag the rest.
        room = self._limits.max_output_bytes - len(self.outcome.stdout) - len(self.outcome.stderr)
        sink.extend(chunk[:max(room, 0)])
        if len(chunk) > room:
            self.outcome.too_large = True

    def _from_child_calls(self) -> None:
        chunk = os.read(self._pipes.calls_r, 65536)
        if not chunk:
            self._open.discard(self._pipes.calls_r)
            return
        try:
            for message in self._calls.feed(chunk):
                self._forward_calls(message)
        except (FrameError, TypeError, ValueError) as error:  # ValueError: e.g. a lone surrogate, not UTF-8
            self.outcome.broken = f"the code broke the tool-call channel: {error}"

    def _forward_calls(self, message) -> None:
        if self._awaiting_results:
            raise FrameError("tool calls sent while the last ones are unanswered")
        calls = message.get("calls") if isinstance(message, dict) else None
        if not isinstance(calls, list) or not 1 <= len(calls) <= self._limits.max_tool_calls:
            raise FrameError(f"a tool_calls message needs 1 to {self._limits.max_tool_calls} calls")
        checked = [_checked_call(call, self._tools) for call in calls]
        if len({call["call_id"] for call in checked}) != len(checked):
            raise FrameError("call ids repeat")
        write_frame(self._frames_out, {"type": "tool_calls", "execution_id": self._execution_id, "calls": checked},
                    self._limits.max_frame_bytes)
        self._awaiting_results = True

    def _from_service(self) -> None:
        message = read_frame(self._frames_in)
        if message is None:
            # The service closed the channel: the session is over, and so is this runner.
            _kill_group(self._pid)
            os._exit(0)
        if (isinstance(message, dict) and message.get("type") == "tool_results"
                and message.get("execution_id") == self._execution_id):
            self._awaiting_results = False
            self._to_child.extend(encode_frame({"type": "tool_results", "results": message.get("results") or []}))
        # Anything else is out of place mid-execution; ignore it.

    def _to_child_pipe(self) -> None:
        try:
            written = os.write(self._pipes.results_w, self._to_child)
        except BlockingIOError:
            return
        except BrokenPipeError:
            written = len(self._to_child)  # the child closed its end: it will not read them
        del self._to_child[:written]


def _checked_call(call, tools: set) -> dict:
    if not isinstance(call, dict):
        raise FrameError("a tool call is not an object")
    call_id, name, arguments = call.get("call_id"), call.get("name"), call.get("input")
    if not isinstance(call_id, str) or not call_id or name not in tools or not isinstance(arguments, dict):
        raise FrameError("a tool call needs a call_id, a declared tool's name and an input object")
    return {"call_id": call_id, "name": name, "input": arguments}


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _describe_exit(status: int | None) -> str:
    if status is None:
        return "unknown status"
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    if os.WIFEXITED(status):
        return f"exit status {os.WEXITSTATUS(status)}"
    return f"status {status}"
