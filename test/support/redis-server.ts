import { loopback, onFreePort, type ServiceProcess, startServiceProcess } from "./service-process.ts";

/**
 * A real `redis-server` for tests, on a free loopback port, with persistence off so it leaves nothing
 * on disk. It can be stopped and started again on the same port, as an outage test needs (its data
 * does not survive). A missing binary fails the test with how to install it: Redis tests are never skipped.
 */

const startupTimeoutMs = 10_000;

export interface RedisServer {
  url: string;
  port: number;
  /** Stops the process (an outage, or for good); `start()` brings it back, empty, on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const binary = Bun.which("redis-server");
  if (!binary) throw new Error("redis-server is not on PATH; the Redis tests need a real one: apt-get install redis-server (or brew install redis)");
  const launch = (port: number) =>
    startServiceProcess({
      name: `redis-server on port ${port}`,
      command: [binary, "--port", String(port), "--bind", loopback, "--save", "", "--appendonly", "no"],
      ready: () => answersPing(port),
      startupTimeoutMs,
    });
  let port = 0;
  let service: ServiceProcess | undefined = await onFreePort((candidate) => {
    port = candidate;
    return launch(port);
  });
  return {
    url: `redis://${loopback}:${port}`,
    port,
    async stop() {
      await service?.stop();
      service = undefined;
    },
    async start() {
      service ??= await launch(port);
    },
  };
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
