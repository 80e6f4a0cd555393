#!/usr/bin/env python3
"""Sandbox runner: executes model-written Python for Programmatic Tool Calling.

One long-lived process per sandbox session. It speaks a framed protocol over its
own stdin/stdout (see `framing.py`) and runs each `execute` request in a forked
child, so every execution starts from the runner's pristine interpreter state
while files in the working directory persist.

Division of labour (why it is split this way):
- The child runs the code and talks to the service directly for tool calls
  (it inherits private duplicates of the framing fds), because only the child
  knows when its event loop is idle and which calls are pending.
- The parent owns the captured stdout/stderr pipes, enforces the output cap and
  sends the final `completed`/`failed` message. It learns the code's outcome
  from a private status pipe, so a child that dies in any way (os._exit,
  signal, segfault) still yields a `failed`/`unavailable` answer, and the
  parent goes on serving the next `execute`.
"""

import json
import os
import select
import signal
import sys

# The runner's sibling modules; explicit because `python3 -I` (isolated mode,
# likely inside the sandbox) leaves the script's directory off sys.path.
RUNNER_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, RUNNER_DIR)
# The runner's directory is read-only in the sandbox image; don't try to write .pyc there.
sys.dont_write_bytecode = True

from framing import FrameError, read_frame, write_frame  # noqa: E402
from execution import run_child  # noqa: E402

# Used when an `execute` message does not say; the service normally always does.
DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024
# How often the parent checks whether the child has exited while draining pipes.
POLL_SECONDS = 0.05


def main() -> None:
    frames_in, frames_out = _take_framing_fds()
    while True:
        try:
            message = read_frame(frames_in)
        except FrameError as error:
            # The stream can no longer be trusted to be in sync: say so and stop.
            _send(frames_out, {"type": "failed", "execution_id": None,
                               "error_code": "protocol_error", "message": str(error),
                               "stdout": "", "stderr": ""})
            sys.exit(2)
        if message is None:
            return  # The service closed our stdin: the session is over.
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "execute":
            _execute(message, frames_in, frames_out)
        elif kind == "tool_results":
            # Late results for an execution that already ended (its child died
            # while waiting): nothing is waiting for them any more.
            continue
        else:
            execution_id = message.get("execution_id") if isinstance(message, dict) else None
            _send(frames_out, {"type": "failed",
                               "execution_id": execution_id if isinstance(execution_id, str) else None,
                               "error_code": "invalid_message",
                               "message": f"unexpected message type {kind!r}",
                               "stdout": "", "stderr": ""})


def _take_framing_fds() -> tuple[int, int]:
    """Move the framing channel to private fds so nothing else can write into it.

    fd 0 becomes /dev/null and fd 1 is pointed at fd 2, so a stray print in the
    runner (or anything inheriting fd 1) cannot corrupt a frame. os.dup returns
    non-inheritable fds, so subprocesses of the user code never see them.
    """
    frames_in = os.dup(0)
    frames_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return frames_in, frames_out


def _execute(request: dict, frames_in: int, frames_out: int) -> None:
    execution_id = request.get("execution_id")
    max_output = request.get("max_output_bytes")
    if not isinstance(max_output, int) or max_output < 0:
        max_output = DEFAULT_MAX_OUTPUT_BYTES

    oom_kills_before = _oom_kills()
    stdout_r, stdout_w = os.pipe()
    stderr_r, stderr_w = os.pipe()
    status_r, status_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        # Child: never returns. Own process group so the parent can kill the
        # code together with anything it spawned.
        os.setpgid(0, 0)
        for fd in (stdout_r, stderr_r, status_r):
            os.close(fd)
        run_child(request, frames_in, frames_out, stdout_w, stderr_w, status_w)
        os._exit(70)  # Unreachable; run_child always exits.

    for fd in (stdout_w, stderr_w, status_w):
        os.close(fd)
    outcome = _supervise(pid, stdout_r, stderr_r, status_r, max_output)
    for fd in (stdout_r, stderr_r, status_r):
        os.close(fd)

    reply = {"execution_id": execution_id,
             "stdout": outcome.stdout.decode("utf-8", errors="replace"),
             "stderr": outcome.stderr.decode("utf-8", errors="replace")}
    if outcome.too_large:
        reply.update(type="failed", error_code="output_too_large",
                     message=f"output exceeded {max_output} bytes; the execution was stopped")
    elif outcome.return_code is not None:
        reply.update(type="completed", return_code=outcome.return_code)
    elif _oom_kills() > oom_kills_before:
        reply.update(type="failed", error_code="memory_exceeded",
                     message="the execution was killed for using more memory than the sandbox allows")
    else:
        reply.update(type="failed", error_code="unavailable",
                     message=f"the execution process ended unexpectedly ({outcome.exit_description})")
    _send(frames_out, reply)


class _Outcome:
    """What the parent observed of one child."""

    def __init__(self) -> None:
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.status = bytearray()
        self.too_large = False
        self.return_code: int | None = None
        self.exit_description = ""


def _supervise(pid: int, stdout_r: int, stderr_r: int, status_r: int, max_output: int) -> _Outcome:
    """Drain the child's output until it exits, killing it if output exceeds the cap."""
    outcome = _Outcome()
    sinks = {stdout_r: outcome.stdout, stderr_r: outcome.stderr, status_r: outcome.status}
    open_fds = set(sinks)
    exit_status: int | None = None

    while exit_status is None:
        _drain(open_fds, sinks, outcome, max_output, POLL_SECONDS)
        if outcome.too_large:
            _kill_group(pid)
            os.waitpid(pid, 0)
            return outcome
        waited, status = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            exit_status = status

    # The child is gone: end anything it left running (so nothing writes on),
    # then collect what is still in the pipes, including the status it wrote
    # just before exiting.
    _kill_group(pid)
    while open_fds and _drain(open_fds, sinks, outcome, max_output, 0) and not outcome.too_large:
        pass
    outcome.exit_description = _describe_exit(exit_status)
    try:
        outcome.return_code = int(json.loads(outcome.status.decode("utf-8"))["return_code"])
    except (ValueError, KeyError, TypeError):
        outcome.return_code = None  # No status written: the child died abnormally.
    return outcome


def _drain(open_fds: set, sinks: dict, outcome: _Outcome, max_output: int, timeout: float) -> bool:
    """Read whatever is ready (waiting up to `timeout`); False when nothing was."""
    readable, _, _ = select.select(list(open_fds), [], [], timeout) if open_fds else ([], [], [])
    for fd in readable:
        chunk = os.read(fd, 65536)
        if not chunk:
            open_fds.discard(fd)
            continue
        sink = sinks[fd]
        if sink is outcome.status:
            sink.extend(chunk)
            continue
        # The cap covers stdout and stderr together; keep what fits, flag the rest.
        room = max_output - len(outcome.stdout) - len(outcome.stderr)
        sink.extend(chunk[:max(room, 0)])
        if len(chunk) > room:
            outcome.too_large = True
    return bool(readable)


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


# The kernel's count of out-of-memory kills in this sandbox's memory cgroup
# (cgroup v2, then v1). Read-only to the code, so it cannot be forged; absent
# without a cgroup (bwrap), where the count stays 0 and RLIMIT_AS's
# MemoryError is the only signal.
_OOM_COUNTERS = ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control")


def _oom_kills() -> int:
    for path in _OOM_COUNTERS:
        try:
            with open(path) as counters:
                for line in counters:
                    name, _, value = line.partition(" ")
                    if name == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            continue
    return 0


def _send(frames_out: int, message: dict) -> None:
    write_frame(frames_out, message)


if __name__ == "__main__":
    main()
