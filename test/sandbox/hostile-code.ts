/**
 * Code that attacks the runner's control channel, shared by the runner-level and the service-level
 * tests. Each probe uses every way in a process of the sandbox's uid has: the fds it inherited, and
 * /proc/<pid>/fd/<n> of every process it can see (what a same-uid process may open unless the owner
 * is non-dumpable).
 */

/** What a forged result carries, so a test can tell it from the genuine one. */
export const FORGED = "FORGED";
/** What the genuine part of each probe prints. */
export const GENUINE = "genuine";

/** A forged result's output starts with FORGED (the code may print it too, but never first). */
export const isForged = (stdout: string | undefined): boolean => stdout?.startsWith(FORGED) === true;

/** Python: `channel_fds()` lists every pipe the code can reach (inherited, or reopened through /proc). */
const FIND_PIPES = `import json, os, re, select, stat, struct, sys, threading, time
def channel_fds():
    found = []
    for fd in range(3, 256):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode): found.append(fd)
        except OSError: pass
    for pid in os.listdir('/proc'):
        if not pid.isdigit() or int(pid) == os.getpid(): continue
        try: names = os.listdir(f'/proc/{pid}/fd')
        except OSError: continue
        for name in names:
            try: found.append(os.open(f'/proc/{pid}/fd/{name}', os.O_RDWR | os.O_NONBLOCK))
            except OSError: pass
    return found
def forged(execution_id, stdout):
    body = json.dumps({'type': 'completed', 'execution_id': execution_id, 'stdout': stdout, 'stderr': '', 'return_code': 0}).encode()
    return struct.pack('>I', len(body)) + body
def write_all(fd, data):
    os.set_blocking(fd, True)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
`;

/**
 * Writes a `completed` frame carrying `forgedBytes` of output, for every execution id it can find
 * on its own stack, into every pipe it can reach (each write in a thread of its own, so a pipe
 * nobody reads cannot hang it), then prints GENUINE.
 */
export function forgeCompleted(forgedBytes: number): string {
  return `${FIND_PIPES}
ids, frame = set(), sys._getframe()
while frame is not None:  # the runner's own frames below the code hold the request
    ids |= {v['execution_id'] for v in frame.f_locals.values() if isinstance(v, dict) and isinstance(v.get('execution_id'), str)}
    frame = frame.f_back
stdout = ${JSON.stringify(FORGED)} + 'F' * ${forgedBytes}
for execution_id in ids:
    frame = forged(execution_id, stdout)
    for fd in channel_fds():
        threading.Thread(target=lambda fd=fd, frame=frame: write_all(fd, frame), daemon=True).start()
time.sleep(1)
print(${JSON.stringify(GENUINE)})`;
}

/**
 * Leaves a process behind (double fork, new session) that, for the next 60 s, reads every pipe it
 * can reach and answers each `execute` frame it sees with a forged `completed`.
 */
export const LEAVE_FRAME_ANSWERER = `${FIND_PIPES}
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        fds = channel_fds()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            readable, _, _ = select.select(fds, [], [], 0.05)
            for fd in readable:
                try: data = os.read(fd, 1 << 20)
                except OSError: continue
                if b'"execute"' not in data: continue
                for execution_id in re.findall(rb'"execution_id":"([^"]+)"', data):
                    for out in fds:
                        try: write_all(out, forged(execution_id.decode(), ${JSON.stringify(FORGED)}))
                        except OSError: pass
        os._exit(0)
    os._exit(0)
time.sleep(0.5)
print('left an answerer behind')`;

/** Leaves a busy loop behind, out of the code's process group and session (double fork, setsid). */
export const LEAVE_CPU_BOMB = `import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp('python3', ['python3', '-c', '# cpu-bomb\\nwhile True: pass'])
    os._exit(0)
time.sleep(0.3)
print('left a bomb')`;

/** Prints the CPU seconds every visible cpu-bomb process uses over half a second (0 when none is left). */
export const MEASURE_CPU_BOMBS = `import os, time
def bombs():
    found = {}
    for pid in os.listdir('/proc'):
        try:
            if pid.isdigit() and b'cpu-bomb' in open(f'/proc/{pid}/cmdline', 'rb').read():
                found[pid] = int(open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[11])
        except OSError: pass
    return found
before = bombs()
time.sleep(0.5)
after = bombs()
ticks = sum(after[pid] - before[pid] for pid in after if pid in before)
print(len(after), ticks / os.sysconf('SC_CLK_TCK'))`;

/**
 * Prints the processes, other than its own, whose /proc/<pid>/fd the code can open (the runner,
 * and whatever holds the sandbox's stdio: docker's init, bwrap's), or "refused" when there is none.
 */
export const OPEN_OTHERS_FDS = `import os
open_to_us = []
for pid in sorted(int(p) for p in os.listdir('/proc') if p.isdigit() and int(p) != os.getpid()):
    try:
        fds = os.listdir(f'/proc/{pid}/fd')
        open_to_us.append((pid, open(f'/proc/{pid}/comm').read().strip(), len(fds)))
    except OSError:
        pass
print(open_to_us or 'refused')`;
