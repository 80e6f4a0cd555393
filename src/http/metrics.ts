import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../anthropic/errors.ts";
import { presentedKey, sameSecret } from "../../lib/credentials.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { AppEnv } from "./env.ts";
import { notFound, renderError } from "./errors.ts";

/**
 * GET /metrics, Prometheus's text exposition. With METRICS_TOKEN set it asks for that Bearer token
 * (Prometheus's `authorization` scrape setting); without it, it is open, like /health: keep it on
 * METRICS_PORT, reachable only by the scraper, or set the token.
 */
export function metricsRoutes(metrics: Metrics, token: string | undefined) {
  return new Hono<AppEnv>().get("/metrics", scraperOnly(token), async (c) => {
    return c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType });
  });
}

/** The whole app of METRICS_PORT: /metrics and nothing else, errors in the Anthropic envelope as on PORT. */
export function metricsApp(metrics: Metrics, token: string | undefined) {
  return metricsRoutes(metrics, token).notFound(notFound).onError(renderError);
}

function scraperOnly(token: string | undefined) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (token === undefined) return next();
    const presented = presentedKey((name) => c.req.header(name));
    if (!presented || !sameSecret(presented, token)) throw new ApiError("authentication_error", "/metrics needs the METRICS_TOKEN in Authorization: Bearer");
    await next();
  });
}
