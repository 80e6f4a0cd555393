/**
 * The behaviour every SandboxRuntime must have, as a reusable suite:
 * `runtimeContract("bwrap", () => new BwrapRuntime())`, later the same for Docker.
 * Programs are plain `python3 -c` one-liners, so no runner is needed.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { SandboxRuntime } from "../../../sandbox/src/runtime/types.ts";
import { finish, runPython, sleep, startPython, waitForOutput, WorkDirs } from "./run-python.ts";

const REPO_ROOT = resolve(import.meta.dir, "../../..");

export function runtimeContract(kind: SandboxRuntime["kind"], makeRuntime: () => SandboxRuntime): void {
  describe(`${kind} runtime contract`, () => {
    const runtime = makeRuntime();
    const dirs = new WorkDirs();
    afterAll(async () => {
      // Backstop so a failing test cannot leave sandboxes running.
      await runtime.reapOrphans();
      await dirs.removeAll();
    });

    test("runs a trivial program and returns its stdout", async () => {
      const run = await runPython(runtime, await dirs.make(), "print('hello from the sandbox')");
      expect(run.stdout).toBe("hello from the sandbox\n");
      expect(run.exit).toMatchObject({ code: 0, signal: null, oomKilled: false, killed: false });
    });

    test("passes stdin through", async () => {
      const proc = await runtime.start({
        id: "stdin-test",
        command: ["python3", "-c", "import sys; print(sys.stdin.read().upper())"],
        workDir: await dirs.make(),
        readOnlyBinds: [],
        limits: { memoryMb: 256, cpus: 1, cpuSeconds: 10, pids: 16, fileSizeMb: 1 },
      });
      proc.stdin.write("shout");
      proc.stdin.end();
      expect((await finish(proc)).stdout).toBe("SHOUT\n");
    });

    test("work dir is writable, is the cwd, and persists between two starts", async () => {
      const dir = await dirs.make();
      const first = await runPython(runtime, dir, "import os; open('note.txt','w').write('kept'); os.mkdir('sub'); open('sub/x','w').write('1'); print(os.getcwd())");
      expect(first.exit.code).toBe(0);
      expect(first.stdout.trim()).toBe("/work");
      expect(await readFile(join(dir, "note.txt"), "utf8")).toBe("kept");
      const second = await runPython(runtime, dir, "print(open('note.txt').read()); open('sub/x','a').write('2'); print(open('sub/x').read())");
      expect(second.stderr).toBe("");
      expect(second.stdout).toBe("kept\n12\n");
    });

    test("read-only binds are visible and not writable", async () => {
      const shared = await dirs.make();
      await writeFile(join(shared, "lib.py"), "VALUE = 42\n");
      // Read-only binds must be readable by the sandbox's unprivileged host uid.
      await chmod(shared, 0o755);
      const proc = await runtime.start({
        id: "ro-bind-test",
        command: ["python3", "-c", "import sys; sys.path.insert(0,'/runner'); import lib; print(lib.VALUE)\ntry:\n open('/runner/evil','w')\nexcept OSError as e: print('denied', e.errno)"],
        workDir: await dirs.make(),
        readOnlyBinds: [{ host: shared, sandbox: "/runner" }],
        limits: { memoryMb: 256, cpus: 1, cpuSeconds: 10, pids: 16, fileSizeMb: 1 },
      });
      proc.stdin.end();
      const run = await finish(proc);
      expect(run.stdout).toMatch(/^42\ndenied (30|13)\n$/); // EROFS or EACCES
    });

    test("two sandboxes cannot see each other's work dirs or processes", async () => {
      const dirA = await dirs.make();
      const dirB = await dirs.make();
      await writeFile(join(dirA, "secret-a"), "a");
      const sleeper = await startPython(runtime, dirA, "import time; print('up', flush=True); time.sleep(30)");
      await waitForOutput(sleeper.stdout, "up");
      const probe = `import os\nprint(os.listdir('.'))\nprint(os.path.exists(${JSON.stringify(dirA)}))\nprint(sorted(p for p in os.listdir('/proc') if p.isdigit()))`;
      const run = await runPython(runtime, dirB, probe);
      await sleeper.kill();
      const [listing, seesA, pids] = run.stdout.trim().split("\n");
      expect(listing).toBe("[]");
      expect(seesA).toBe("False");
      // Only its own pid namespace: a handful of pids, none of them the sleeper's python.
      expect(JSON.parse((pids ?? "").replaceAll("'", '"')).length).toBeLessThanOrEqual(3);
    });

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
        const run = await runPython(runtime, await dirs.make(), code);
        expect(run.stdout).toContain("tcp failed");
        expect(run.stdout).toContain("dns failed");
        expect(run.stdout).toContain("internet failed");
        expect(connections).toBe(0);
      } finally {
        server.stop(true);
      }
    });

    test("sees no host files and cannot write outside the work dir", async () => {
      const code = `import os
for p in ["/root", "/home", ${JSON.stringify(REPO_ROOT)}, "/etc/shadow", "/etc/passwd", "/var/run/docker.sock"]:
    try:
        if os.path.isdir(p): os.listdir(p); print(p, "readable")
        else: open(p).read(); print(p, "readable")
    except OSError: print(p, "hidden")
for p in ["/evil", "/usr/evil", "/etc/evil", "/proc/sys/kernel/hostname"]:
    try:
        open(p, "w").write("x"); print(p, "written")
    except OSError: print(p, "denied")`;
      const run = await runPython(runtime, await dirs.make(), code);
      expect(run.stdout).not.toContain("readable");
      expect(run.stdout).not.toContain("written");
      expect(run.stdout.match(/hidden/g)?.length).toBe(6);
      expect(run.stdout.match(/denied/g)?.length).toBe(4);
    });

    test("runs as a non-root uid with no capabilities", async () => {
      const code = `import os
print(os.getuid(), os.geteuid(), os.getgid())
caps = dict(l.split(":\\t") for l in open("/proc/self/status").read().splitlines() if l.startswith("Cap"))
print(caps["CapEff"].strip(), caps["CapPrm"].strip(), caps["CapBnd"].strip())
print([l for l in open("/proc/self/status") if l.startswith("NoNewPrivs")][0].split()[1])`;
      const run = await runPython(runtime, await dirs.make(), code);
      const [ids, caps, noNewPrivs] = run.stdout.trim().split("\n");
      expect(ids?.split(" ").map(Number).every((id) => id !== 0)).toBe(true);
      expect(caps).toBe("0000000000000000 0000000000000000 0000000000000000");
      expect(noNewPrivs).toBe("1");
    });

    test("a 2 GB allocation ends in a memory error reported as oom", async () => {
      const run = await runPython(runtime, await dirs.make(), "x = bytearray(2 * 1024**3); print('allocated')");
      expect(run.stdout).not.toContain("allocated");
      expect(run.exit.oomKilled).toBe(true);
      expect(run.exit.code).not.toBe(0);
    });

    test("a huge file write fails at the file-size limit", async () => {
      const dir = await dirs.make();
      const code = `chunk = b"x" * (1024 * 1024)
try:
    with open("big", "wb") as f:
        for _ in range(64): f.write(chunk)
    print("wrote all")
except OSError as e: print("stopped", e.errno)`;
      const run = await runPython(runtime, dir, code, { fileSizeMb: 4 });
      expect(run.stdout.trim()).toBe("stopped 27"); // EFBIG
      expect(Bun.file(join(dir, "big")).size).toBeLessThanOrEqual(4 * 1024 * 1024);
    });

    test("/tmp is private and capped in total size", async () => {
      const code = `import os
chunk = b"x" * (1024 * 1024)
written = 0
try:
    for i in range(32):
        with open(f"/tmp/f{i}", "wb") as f: f.write(chunk)
        written += 1
except OSError as e: print("stopped", e.errno)
print(written)`;
      const run = await runPython(runtime, await dirs.make(), code, { fileSizeMb: 4 });
      const [stopped, written] = run.stdout.trim().split("\n");
      expect(stopped).toBe("stopped 28"); // ENOSPC
      expect(Number(written)).toBeLessThanOrEqual(4);
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
        runPython(runtime, await dirs.make(), forkMany(100), { pids: 10 }),
        runPython(runtime, await dirs.make(), forkMany(100), { pids: 10 }),
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
      const bomb = await startPython(runtime, await dirs.make(), bombCode, { pids: 32 });
      const bombStderr = new Response(bomb.stderr).text();
      await waitForOutput(bomb.stdout, "bombing");
      await sleep(500);
      // The host can still start processes...
      const hostEcho = Bun.spawnSync(["/bin/echo", "host ok"]);
      expect(hostEcho.stdout.toString()).toBe("host ok\n");
      // ...and another sandbox can too.
      const neighbour = await runPython(runtime, await dirs.make(), "import os; pid = os.fork()\nif pid == 0: os._exit(0)\nos.waitpid(pid, 0); print('neighbour ok')");
      expect(neighbour.stdout).toBe("neighbour ok\n");
      const started = performance.now();
      await bomb.kill();
      expect(performance.now() - started).toBeLessThan(3000);
      // stderr rides along so an unexpected early end of the bomb explains itself.
      expect({ ...(await bomb.exited), stderr: (await bombStderr).slice(-2000) }).toMatchObject({ killed: true });
    }, 20_000);

    test("kill() stops an endless loop at once", async () => {
      const loop = await startPython(runtime, await dirs.make(), "print('looping', flush=True)\nwhile True: pass");
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
      const run = await runPython(runtime, await dirs.make(), "while True: pass", { cpuSeconds: 1 });
      expect(performance.now() - started).toBeLessThan(5000);
      expect(["SIGXCPU", "SIGKILL"]).toContain(run.exit.signal ?? "none");
      expect(run.exit.killed).toBe(false);
    }, 10_000);

    test("kill() on a program that already ended is harmless", async () => {
      const proc = await startPython(runtime, await dirs.make(), "print('done')");
      await finish(proc);
      await proc.kill();
    });

    test("dies with its parent process", async () => {
      const dir = await dirs.make();
      const helper = Bun.spawn(["bun", join(import.meta.dir, "start-then-exit.ts"), kind, dir], { stdout: "pipe", stderr: "pipe" });
      const [out, err] = await Promise.all([new Response(helper.stdout).text(), new Response(helper.stderr).text()]);
      await helper.exited;
      expect(err).toBe("");
      expect(out).toBe("started\n");
      // Once the parent is gone the heartbeat (every 50 ms) must stop.
      await sleep(500);
      const beatAfterExit = await readFile(join(dir, "beat"), "utf8");
      await sleep(500);
      expect(await readFile(join(dir, "beat"), "utf8")).toBe(beatAfterExit);
    });

    test("reapOrphans() returns a count and leaves nothing running", async () => {
      const proc = await startPython(runtime, await dirs.make(), "import time; print('up', flush=True); time.sleep(30)");
      await waitForOutput(proc.stdout, "up");
      expect(await runtime.reapOrphans()).toBeGreaterThan(0);
      const exit = await proc.exited;
      expect(exit.code).not.toBe(0);
      expect(await runtime.reapOrphans()).toBe(0);
    });
  });
}
