#!/usr/bin/env python3
"""Sandbox runner: executes model-written Python for Programmatic Tool Calling.

One long-lived process per sandbox session. It speaks a framed protocol over its
own stdin/stdout (see `framing.py`) and runs each `execute` request in a forked
child, so every execution starts from the runner's pristine interpreter state
while files in the working directory persist.

Division of labour (why it is split this way):
- The parent alone holds the service's channel, and is unreachable from the
  code (non-dumpable: see `processes.py`). The child closes the channel before
  any code runs.
- The child runs the code and batches its tool calls (only it knows when its
  event loop is idle), sending them to the parent over a private pipe pair of
  this execution; the parent checks them, forwards them and passes the results
  back (`supervisor.py`).
- The parent owns the captured stdout/stderr pipes, enforces the output cap and
  sends the final `completed`/`failed` message. It learns the code's outcome
  from a private status pipe, so a child that dies in any way (os._exit,
  signal, segfault) still yields a `failed`/`unavailable` answer, and the
  parent goes on serving the next `execute`. Before answering it kills every
  process the execution left (`end_descendants`).
"""

import os
import sys

# The runner's sibling modules; explicit because `python3 -I` (isolated mode,
# likely inside the sandbox) leaves the script's directory off sys.path.
RUNNER_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, RUNNER_DIR)
# The runner's directory is read-only in the sandbox image; don't try to write .pyc there.
sys.dont_write_bytecode = True

from framing import FrameError, read_frame, write_frame  # noqa: E402
from execution import run_child  # noqa: E402
from limits import ExecutionLimits  # noqa: E402
from processes import end_descendants, guard_runner  # noqa: E402
from supervisor import ExecutionPipes, Outcome, Supervisor  # noqa: E402


def main() -> None:
    guard_runner()
    frames_in, frames_out = _take_framing_fds()
    # The service counts the sandbox as started only now: a session's first
    # execution does not wait for this interpreter to come up.
    _send(frames_out, {"type": "ready"})
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
    limits = ExecutionLimits.of(request)
    oom_kills_before = _oom_kills()
    stdout_r, stdout_w = os.pipe()
    stderr_r, stderr_w = os.pipe()
    status_r, status_w = os.pipe()
    calls_r, calls_w = os.pipe()
    results_r, results_w = os.pipe()
    pipes = ExecutionPipes(stdout_r, stderr_r, status_r, calls_r, results_w)
    pid = os.fork()
    if pid == 0:
        # Child: never returns. Own process group so the parent can kill the
        # code at once; and before any code runs, it lets go of everything
        # of the parent's: the service's channel above all.
        os.setpgid(0, 0)
        for fd in (frames_in, frames_out, stdout_r, stderr_r, status_r, calls_r, results_w):
            os.close(fd)
        run_child(request, limits, results_r, calls_w, stdout_w, stderr_w, status_w)
        os._exit(70)  # Unreachable; run_child always exits.

    for fd in (stdout_w, stderr_w, status_w, calls_w, results_r):
        os.close(fd)
    os.set_blocking(results_w, False)
    supervisor = Supervisor(pid, request, limits, pipes, frames_in, frames_out)
    outcome = supervisor.run()
    # Nothing the execution started outlives it: background processes, daemons, bombs.
    end_descendants()
    supervisor.finish()
    pipes.close()
    _send(frames_out, _reply(execution_id, outcome, limits, oom_kills_before))


def _reply(execution_id, outcome: Outcome, limits: ExecutionLimits, oom_kills_before: int) -> dict:
    reply = {"execution_id": execution_id,
             "stdout": outcome.stdout.decode("utf-8", errors="replace"),
             "stderr": outcome.stderr.decode("utf-8", errors="replace")}
    if outcome.too_large:
        reply.update(type="failed", error_code="output_too_large",
                     message=f"output exceeded {limits.max_output_bytes} bytes; the execution was stopped")
    elif outcome.broken is not None:
        reply.update(type="failed", error_code="unavailable", message=outcome.broken)
    elif outcome.return_code is not None:
        reply.update(type="completed", return_code=outcome.return_code)
    elif _oom_kills() > oom_kills_before:
        reply.update(type="failed", error_code="memory_exceeded",
                     message="the execution was killed for using more memory than the sandbox allows")
    else:
        reply.update(type="failed", error_code="unavailable",
                     message=f"the execution process ended unexpectedly ({outcome.exit_description})")
    return reply


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
