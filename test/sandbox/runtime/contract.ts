/**
 * The behaviour every SandboxRuntime must have, as one suite run on each:
 * `runtimeContract("bwrap", 190_000)` and `runtimeContract("docker", ...)`.
 * Programs are plain `python3 -c` one-liners, so no runner is needed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freshScope, prepareRuntime, type RuntimeKind, scopedRuntime } from "./runtimes.ts";
import { finish, runPython, startPython, TEST_LIMITS, waitForOutput } from "./run-python.ts";

const REPO_ROOT = resolve(import.meta.dir, "../../..");

/** `bwrapBase`: first uid of the range this file's bwrap sandboxes use (two ranges of 100 from it). */
export function runtimeContract(kind: RuntimeKind, bwrapBase: number): void {
  describe(`${kind} runtime contract`, () => {
    const scope = freshScope(kind, bwrapBase);
    const { runtime, live } = scopedRuntime(kind, scope);
    beforeAll(() => prepareRuntime(kind), 300_000);
    afterAll(async () => {
      // Backstop so a failing test cannot leave sandboxes running.
      await runtime.reapOrphans();
    });

    test("runs a trivial program and returns its stdout", async () => {
      const run = await runPython(runtime, "print('hello from the sandbox')");
      expect(run.stdout).toBe("hello from the sandbox\n");
      expect(run.exit).toMatchObject({ code: 0, signal: null, oomKilled: false, killed: false });
    });

    test("passes stdin through", async () => {
      const proc = await runtime.start({ id: "stdin-test", command: ["python3", "-c", "import sys; print(sys.stdin.read().upper())"], limits: TEST_LIMITS });
      proc.stdin.write("shout");
      proc.stdin.end();
      expect((await finish(proc)).stdout).toBe("SHOUT\n");
    });

    test("/work is the cwd, writable, and capped in size; so are /tmp and /dev/shm", async () => {
      const code = `import os
print(os.getcwd())
for d in ("/work", "/tmp", "/dev/shm"):
    written = 0
    try:
        for i in range(32):
            with open(f"{d}/f{i}", "wb") as f: f.write(b"x" * (1024 * 1024))
            written += 1
    except OSError as e: print(d, "stopped", e.errno, written)`;
      const run = await runPython(runtime, code, { workDirMb: 4 });
      const [cwd, ...dirs] = run.stdout.trim().split("\n");
      expect(cwd).toBe("/work");
      expect(dirs.map((line) => line.split(" ")[0])).toEqual(["/work", "/tmp", "/dev/shm"]);
      for (const line of dirs) {
        const [, stopped, errno, written] = line.split(" ");
        // ENOSPC past the size.
        expect(stopped).toBe("stopped");
        expect(errno).toBe("28");
        expect(Number(written)).toBeLessThanOrEqual(4);
      }
    });

    test("the runner is at /runner, readable and read-only", async () => {
      const code = `import os
print(sorted(n for n in os.listdir('/runner') if n.endswith('.py')))
try:
    open('/runner/evil', 'w')
except OSError as e: print('denied', e.errno)`;
      const run = await runPython(runtime, code);
      expect(run.stdout).toMatch(/^\['execution.py', 'framing.py', 'limits.py', 'processes.py', 'runner.py', 'supervisor.py'\]\ndenied (30|13)\n$/); // EROFS or EACCES
    });

    test("two sandboxes cannot see each other's files or processes", async () => {
      const sleeper = await startPython(runtime, "import time; open('secret-a','w').write('a'); print('up', flush=True); time.sleep(30)");
      await waitForOutput(sleeper.stdout, "up");
      const probe = `import os, glob
print(os.listdir('.'))
print([p for root in ('/work', '/tmp', '/var', '/run', '/home', '/mnt', '/srv', '/opt') for p in glob.glob(root + '/**/secret-a', recursive=True)])
print(sorted(p for p in os.listdir('/proc') if p.isdigit()))`;
      const run = await runPython(runtime, probe);
      await sleeper.kill();
      const [listing, found, pids] = run.stdout.trim().split("\n");
      expect(listing).toBe("[]");
      expect(found).toBe("[]");
      // Only its own pid namespace: a handful of pids, none of them the sleeper's python.
      expect(JSON.parse((pids ?? "").replaceAll("'", '"')).length).toBeLessThanOrEqual(3);
    }, 20_000);

    test("has no network: the host's loopback TCP server is unreachable and DNS fails", async () => {
      let connections = 0;
      const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: () => void connections++, data: () => {} } });
      try {
        const code = `import socket
try:
    socket.create_connection(("127.0.0.1", ${server.port}), timeout=3); print("tcp connected")
except OSError as e: print("tcp failed", type(e).__name__)
try:
    socket.getaddrinfo("example.com", 80); print("dns resolved")
except OSError as e: print("dns failed", type(e).__name__)
try:
    socket.create_connection(("1.1.1.1", 53), timeout=3); print("internet connected")
except OSError as e: print("internet failed", type(e).__name__)`;
        const run = await runPython(runtime, code);
        expect(run.stdout).toContain("tcp failed");
        expect(run.stdout).toContain("dns failed");
        expect(run.stdout).toContain("internet failed");
        expect(connections).toBe(0);
      } finally {
        server.stop(true);
      }
    });

    test("sees no host files and cannot write outside its tmpfs", async () => {
      const marker = join(tmpdir(), `host-marker-${crypto.randomUUID()}`);
      await writeFile(marker, "host secret");
      try {
        const code = `import os
for p in [${JSON.stringify(marker)}, ${JSON.stringify(join(REPO_ROOT, "package.json"))}, "/root", "/etc/shadow", "/var/run/docker.sock"]:
    try:
        if os.path.isdir(p): os.listdir(p); print(p, "readable")
        else: open(p).read(); print(p, "readable")
    except OSError: print(p, "hidden")
for p in ["/evil", "/usr/evil", "/etc/evil", "/dev/evil", "/var/tmp/evil", "/run/evil", "/proc/sys/kernel/hostname"]:
    try:
        open(p, "w").write("x"); print(p, "written")
    except OSError: print(p, "denied")`;
        const run = await runPython(runtime, code);
        expect(run.stdout).not.toContain("readable");
        expect(run.stdout).not.toContain("written");
        expect(run.stdout.match(/hidden/g)?.length).toBe(5);
        expect(run.stdout.match(/denied/g)?.length).toBe(7);
      } finally {
        await rm(marker, { force: true });
      }
    });
    test("runs as a non-root uid with no capabilities", async () => {
      const code = `import os
print(os.getuid(), os.geteuid(), os.getgid())
caps = dict(l.split(":\\t") for l in open("/proc/self/status").read().splitlines() if l.startswith("Cap"))
print(caps["CapEff"].strip(), caps["CapPrm"].strip(), caps["CapBnd"].strip())
print([l for l in open("/proc/self/status") if l.startswith("NoNewPrivs")][0].split()[1])`;
      const run = await runPython(runtime, code);
      const [ids, caps, noNewPrivs] = run.stdout.trim().split("\n");
      expect(ids?.split(" ").map(Number).every((id) => id !== 0)).toBe(true);
      expect(caps).toBe("0000000000000000 0000000000000000 0000000000000000");
      expect(noNewPrivs).toBe("1");
    });

    test("a 2 GB allocation ends in a memory error reported as oom", async () => {
      const run = await runPython(runtime, "x = bytearray(2 * 1024**3); print('allocated')");
      expect(run.stdout).not.toContain("allocated");
      expect(run.exit.oomKilled).toBe(true);
      expect(run.exit.code).not.toBe(0);
    });

    test("a huge file write fails at the file-size limit", async () => {
      const code = `import os
chunk = b"x" * (1024 * 1024)
try:
    with open("big", "wb") as f:
        for _ in range(64): f.write(chunk)
    print("wrote all")
except OSError as e: print("stopped", e.errno)
print(os.path.getsize("big") <= 4 * 1024 * 1024)`;
      const run = await runPython(runtime, code, { fileSizeMb: 4 });
      expect(run.stdout.trim()).toBe("stopped 27\nTrue"); // EFBIG
    });

    test("the process limit holds per sandbox, not per host", async () => {
      const forkMany = (n: number) => `import os, time
made = 0
for _ in range(${n}):
    try:
        if os.fork() == 0:
            time.sleep(2); os._exit(0)
        made += 1
    except OSError: break
print(made, flush=True)`;
      // Both at once: if the limit were shared (one uid for all), the second would get ~nothing.
      const [first, second] = await Promise.all([
        runPython(runtime, forkMany(100), { pids: 10 }),
        runPython(runtime, forkMany(100), { pids: 10 }),
      ]);
      for (const run of [first, second]) {
        const made = Number(run.stdout.trim());
        expect(made).toBeGreaterThanOrEqual(5);
        expect(made).toBeLessThanOrEqual(10);
      }
    }, 15_000);

    test("a fork bomb is contained: the host and a second sandbox stay healthy, and kill() ends it fast", async () => {
      const bombCode = `import os, time
print("bombing", flush=True)
while True:
    try: os.fork()
    except BaseException: time.sleep(0.01)`;
      const bomb = await startPython(runtime, bombCode, { pids: 32 });
      const bombStderr = new Response(bomb.stderr).text();
      await waitForOutput(bomb.stdout, "bombing");
      await Bun.sleep(500);
      // The host can still start processes...
      const hostEcho = Bun.spawnSync(["/bin/echo", "host ok"]);
      expect(hostEcho.stdout.toString()).toBe("host ok\n");
      // ...and another sandbox can too.
      const neighbour = await runPython(runtime, "import os; pid = os.fork()\nif pid == 0: os._exit(0)\nos.waitpid(pid, 0); print('neighbour ok')");
      expect(neighbour.stdout).toBe("neighbour ok\n");
      const started = performance.now();
      await bomb.kill();
      expect(performance.now() - started).toBeLessThan(3000);
      // stderr rides along so an unexpected early end of the bomb explains itself.
      expect({ ...(await bomb.exited), stderr: (await bombStderr).slice(-2000) }).toMatchObject({ killed: true });
    }, 20_000);

    test("kill() stops an endless loop at once", async () => {
      const loop = await startPython(runtime, "print('looping', flush=True)\nwhile True: pass");
      await waitForOutput(loop.stdout, "looping");
      const started = performance.now();
      await loop.kill();
      const exit = await loop.exited;
      expect(performance.now() - started).toBeLessThan(1000);
      expect(exit).toMatchObject({ killed: true, oomKilled: false });
      expect(exit.code).not.toBe(0);
    });

    test("the CPU-time limit ends a busy loop by itself", async () => {
      const started = performance.now();
      const run = await runPython(runtime, "while True: pass", { cpuSeconds: 1 });
      expect(performance.now() - started).toBeLessThan(5000);
      expect(["SIGXCPU", "SIGKILL"]).toContain(run.exit.signal ?? "none");
      expect(run.exit.killed).toBe(false);
    }, 10_000);

    test("kill() on a program that already ended is harmless", async () => {
      const proc = await startPython(runtime, "print('done')");
      await finish(proc);
      await proc.kill();
    });

    test("does not outlive the process that started it", async () => {
      const orphanScope = freshScope(kind, bwrapBase + 100);
      const helper = Bun.spawn(["bun", join(import.meta.dir, "start-then-exit.ts"), kind, orphanScope], { stdout: "pipe", stderr: "pipe" });
      const [out, err] = await Promise.all([new Response(helper.stdout).text(), new Response(helper.stderr).text(), helper.exited]);
      expect(err).toBe("");
      expect(out).toBe("started\n");
      const orphans = scopedRuntime(kind, orphanScope);
      const deadline = Date.now() + 5000;
      while ((await orphans.live()) > 0 && Date.now() < deadline) await Bun.sleep(50);
      expect(await orphans.live()).toBe(0);
      await orphans.runtime.reapOrphans();
    }, 20_000);

    test("reapOrphans() removes the scope's sandboxes it did not start, and spares its own", async () => {
      // A second instance of the same scope plays the service's previous (crashed) run.
      const previousRun = scopedRuntime(kind, scope).runtime;
      const orphan = await startPython(previousRun, "import time; print('up', flush=True); time.sleep(30)");
      await waitForOutput(orphan.stdout, "up");
      expect(await runtime.reapOrphans()).toBe(1);
      expect((await orphan.exited).code).not.toBe(0);

      const own = await startPython(runtime, "import time; print('up', flush=True); time.sleep(30)");
      await waitForOutput(own.stdout, "up");
      expect(await runtime.reapOrphans()).toBe(0);
      expect(await live()).toBe(1);
      await own.kill();
      expect(await live()).toBe(0);
    });
  });
}
