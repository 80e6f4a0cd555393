import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import { ownerOf } from "../../gateway/gateway.ts";
import type { Metrics } from "../../observability/metrics.ts";
import type { AppEnv } from "../env.ts";

/**
 * Counts each answered request by its route pattern (never the raw path: a client's made-up paths
 * must not become series), status, resolved model and key id. A stream counts with the status it
 * started with; how it ended is in its usage record and the token and latency metrics.
 */
export function countRequests(metrics: Metrics) {
  return createMiddleware<AppEnv>(async (c, next) => {
    await next();
    const principal: AppEnv["Variables"]["principal"] | undefined = c.var.principal;
    const model: string | undefined = c.var.model;
    metrics.request(routePath(c, -1), c.res.status, model, principal && ownerOf(principal));
  });
}
