import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";

/** One line per request: what was asked, how it was answered, how long the answer took to start. Mounted at level info and below. */
export const accessLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  await next();
  c.var.log.info("request", {
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    duration_ms: Math.round((performance.now() - started) * 10) / 10,
  });
});
