import type { Subprocess } from "bun";

/**
 * A real `redis-server` for tests, on a free loopback port, with persistence off so it leaves nothing
 * on disk. A missing binary fails the test with how to install it: Redis tests are never skipped.
 */

const loopback = "127.0.0.1";
const startupTimeoutMs = 10_000;
const stopTimeoutMs = 5_000;
/** Another process may take the free port between our probe and Redis binding it: try again. */
const portAttempts = 3;

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const running = new Set<Subprocess>();
// A test run that crashes or is interrupted must not leave servers behind.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startRedisServer(): Promise<RedisServer> {
  const binary = Bun.which("redis-server");
  if (!binary) throw new Error("redis-server is not on PATH; the Redis tests need a real one: apt-get install redis-server (or brew install redis)");
  let lastError: unknown;
  for (let attempt = 0; attempt < portAttempts; attempt++) {
    try {
      return await startOn(binary, freePort());
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOn(binary: string, port: number): Promise<RedisServer> {
  const child = Bun.spawn([binary, "--port", String(port), "--bind", loopback, "--save", "", "--appendonly", "no"], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  running.add(child);
  const output = collect(child);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(stopTimeoutMs).then(() => false)]);
      if (!exited) child.kill("SIGKILL");
    }
    await child.exited;
    running.delete(child);
  };
  const deadline = Date.now() + startupTimeoutMs;
  while (!(await answersPing(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not start on port ${port}:\n${output()}`);
    }
    await Bun.sleep(20);
  }
  return { url: `redis://${loopback}:${port}`, port, stop };
}

/** Binds port 0, reads the port the kernel chose, and releases it for Redis to take. */
function freePort(): number {
  const listener = Bun.listen({ hostname: loopback, port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/** Sends an inline PING and waits for `+PONG`, so nothing but a ready Redis passes. */
async function answersPing(port: number): Promise<boolean> {
  const { promise, resolve } = Promise.withResolvers<boolean>();
  let reply = "";
  try {
    const socket = await Bun.connect({
      hostname: loopback,
      port,
      socket: {
        data(socket, bytes) {
          reply += new TextDecoder().decode(bytes);
          if (reply.includes("\r\n")) {
            resolve(reply.startsWith("+PONG"));
            socket.end();
          }
        },
        close: () => resolve(false),
        error: () => resolve(false),
      },
    });
    socket.write("PING\r\n");
    const timer = setTimeout(() => {
      resolve(false);
      socket.end();
    }, 1_000);
    const answered = await promise;
    clearTimeout(timer);
    return answered;
  } catch {
    return false;
  }
}

/** Drains the child's output (so it never blocks on a full pipe) and keeps it for error messages. */
function collect(child: Subprocess<"ignore", "pipe", "pipe">): () => string {
  let text = "";
  for (const stream of [child.stdout, child.stderr]) {
    const decoder = new TextDecoder();
    void (async () => {
      for await (const bytes of stream) text = (text + decoder.decode(bytes, { stream: true })).slice(-4_000);
    })();
  }
  return () => text;
}
