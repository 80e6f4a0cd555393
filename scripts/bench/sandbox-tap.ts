import { loopback } from "../../test/support/service-process.ts";

/**
 * A timing hop between the proxy and the sandbox service: it relays every call as it came and adds up
 * how long the service took to answer, so a request's time through the proxy can be split into the
 * sandbox's work and the rest, call by call, whatever else the machine is doing meanwhile. Calls that run
 * code (POST: executions and tool results) are the sandbox's work; the others (GET: a session's expiry)
 * are counted apart, as the proxy's own choice of round trips.
 */
export interface SandboxTap {
  url: string;
  /** Time the service spent answering since the last call, in ms, by kind; resets the counts. */
  take(): SandboxTime;
  stop(): Promise<void>;
}

export interface SandboxTime {
  /** POST: running code (executions, tool results, sessions). */
  work: number;
  /** Everything else (GET of a session). */
  lookups: number;
}

export function startSandboxTap(target: string): SandboxTap {
  let spent: SandboxTime = { work: 0, lookups: 0 };
  const server = Bun.serve({
    hostname: loopback,
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const { pathname, search } = new URL(request.url);
      const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
      const started = performance.now();
      const response = await fetch(`${target}${pathname}${search}`, { method: request.method, headers: request.headers, body });
      const answer = await response.arrayBuffer();
      const elapsed = performance.now() - started;
      if (request.method === "POST") spent.work += elapsed;
      else spent.lookups += elapsed;
      return new Response(answer, { status: response.status, headers: response.headers });
    },
  });
  return {
    url: `http://${loopback}:${server.port}`,
    take() {
      const taken = spent;
      spent = { work: 0, lookups: 0 };
      return taken;
    },
    stop: () => server.stop(true),
  };
}
