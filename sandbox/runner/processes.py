"""The runner's guard over the processes of the sandbox.

The code runs as the runner's uid, so without care it could reach the runner:
a same-uid process may open /proc/<pid>/fd/<n> (the service's channel), read
/proc/<pid>/mem or ptrace it. A non-dumpable process is closed to all of that
for anyone without CAP_SYS_PTRACE, which nothing in a sandbox has.

And the code may leave processes behind (setsid, double fork) to run on, or to
wait for later executions. The runner is pid 1 of the sandbox (both runtimes
run it without an init) and a child subreaper besides (for when it is not, as
in tests), so it inherits every orphan of the code: "every process the
execution started" is exactly "every descendant of the runner", which
end_descendants kills, wherever it moved its process group or session. It
reaps them too, there being no init to do it.
"""

import ctypes
import os
import signal
import time

_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36
# Past this, processes that survive SIGKILL (never seen: stuck in the kernel)
# leave the runner no way to keep its promise; it exits and the sandbox goes.
_SWEEP_SECONDS = 5.0


def guard_runner() -> None:
    """Make this process unreachable from the code, and the parent of all it leaves."""
    libc = ctypes.CDLL(None, use_errno=True)
    for option, value in ((_PR_SET_DUMPABLE, 0), (_PR_SET_CHILD_SUBREAPER, 1)):
        if libc.prctl(option, value, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), f"prctl({option}, {value}) failed")


def end_descendants() -> None:
    """SIGKILL every descendant of this process and reap them; returns when none is left."""
    deadline = time.monotonic() + _SWEEP_SECONDS
    while True:
        victims = _descendants(os.getpid())
        reap()
        if not victims:
            return
        if time.monotonic() > deadline:
            os._exit(3)
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.005)


def _descendants(root: int) -> list:
    """Live (not zombie) descendants of `root`, from one pass over /proc."""
    children: dict[int, list] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                state, ppid = stat.read().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue  # gone while we looked
        if state not in ("Z", "X"):
            children.setdefault(int(ppid), []).append(int(entry))
    found, queue = [], [root]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def reap(watched: int | None = None):
    """Collect every child that has exited (orphans of the code become ours); the wait status of `watched` if it was one."""
    watched_status = None
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return watched_status
        if pid == 0:
            return watched_status
        if pid == watched:
            watched_status = status
