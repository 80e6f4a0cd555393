import { loopback } from "./service-process.ts";

/**
 * A small load balancer in front of proxy replicas, for the scale-out tests (the part an ALB or nginx
 * plays in a deployment): round-robin, request and response bodies streamed through, the client's
 * abort passed on to the replica. A replica that refuses the connection (stopped, or not listening)
 * is skipped for the next one: nothing reached it, so sending the request elsewhere cannot run it
 * twice. Any other failure is answered 502 with the Anthropic error envelope. Every answer names the
 * replica that served it (its index) in `replicaHeader`, so a test can tell which replica a request,
 * and a failed one, was on.
 */

export const replicaHeader = "x-test-replica";

export interface LoadBalancer {
  url: string;
  stop(): Promise<void>;
}

export function startLoadBalancer(replicas: readonly string[]): LoadBalancer {
  let next = 0;
  const server = Bun.serve({
    port: 0,
    hostname: loopback,
    // Streams may be quiet for longer than Bun's default 10 s; the replicas time out their own.
    idleTimeout: 0,
    fetch(request) {
      const first = next;
      next = (next + 1) % replicas.length;
      return forward(request, replicas, first);
    },
  });
  return { url: `http://${loopback}:${server.port}`, stop: () => server.stop(true) };
}

async function forward(request: Request, replicas: readonly string[], first: number): Promise<Response> {
  const { pathname, search } = new URL(request.url);
  const headers = new Headers(request.headers);
  headers.delete("host");
  let body = request.body;
  for (let attempt = 0; attempt < replicas.length; attempt++) {
    const index = (first + attempt) % replicas.length;
    // A refused connection read none of the body, or too little to matter: the spare copy goes to the next replica.
    const [sent, spare] = body ? body.tee() : [null, null];
    try {
      const answer = await fetch(`${replicas[index]}${pathname}${search}`, { method: request.method, headers, body: sent, signal: request.signal, redirect: "manual" });
      void spare?.cancel();
      const tagged = new Headers(answer.headers);
      tagged.set(replicaHeader, String(index));
      return new Response(answer.body, { status: answer.status, statusText: answer.statusText, headers: tagged });
    } catch (error) {
      if (!refused(error)) return failure(502, `replica ${index} failed: ${String(error)}`, index);
      body = spare;
    }
  }
  return failure(503, "no replica accepted the connection");
}

function refused(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "ECONNREFUSED";
}

function failure(status: number, message: string, replica?: number): Response {
  const headers: Record<string, string> = replica === undefined ? {} : { [replicaHeader]: String(replica) };
  return Response.json({ type: "error", error: { type: "api_error", message } }, { status, headers });
}
