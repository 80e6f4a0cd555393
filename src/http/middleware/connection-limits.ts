import { createMiddleware } from "hono/factory";
import { ApiError, invalidRequest } from "../../anthropic/errors.ts";
import type { AppEnv } from "../env.ts";
import { targetProblem } from "../request-target.ts";
import { isEventStream } from "../../../lib/http-tracing.ts";

/**
 * Over MAX_CONNECTIONS: a fast 529, and the connection closed with it so it frees its descriptor.
 * Liveness still answers (it costs nothing, and a busy proxy restarted by its orchestrator would
 * drop every stream it carries); readiness does not, which takes the replica out of rotation.
 */
export const refuseWhenOverloaded = createMiddleware<AppEnv>(async (c, next) => {
  if (c.env.connection.overloaded && c.req.path !== "/health") {
    c.header("connection", "close");
    throw new ApiError("overloaded_error", "The proxy has too many requests in flight; retry shortly", { retryAfterSeconds: 1 });
  }
  await next();
});

/** A path that does not say plainly where it goes is refused before routing (see request-target.ts). */
export const plainPathsOnly = createMiddleware<AppEnv>(async (c, next) => {
  const problem = targetProblem(c.env.connection.rawSegments, new URL(c.req.url).pathname, c.req.path);
  if (problem) throw invalidRequest(`The request path ${problem}: send it as routed, e.g. /v1/messages`);
  await next();
});

/**
 * Between the body read and the answer, a request waits on the model for as long as it takes: the
 * idle timeout (which is for silent clients) must not cut it. A stream's answer ends with its body,
 * which calls `answered` itself.
 */
export const awaitingModel = createMiddleware<AppEnv>(async (c, next) => {
  c.env.connection.awaitModel();
  try {
    await next();
  } finally {
    if (!isEventStream(c.res)) c.env.connection.answered();
  }
});
