import { Hono } from "hono";
import type { ProxyDeps } from "./deps.ts";
import type { AppEnv } from "./env.ts";

/**
 * Liveness (`/health`: the process answers, nothing else checked), readiness (`/ready`: every
 * dependency answers), and `HEAD /`, the connectivity check Claude Code makes before its first call.
 */
export function healthRoutes(deps: ProxyDeps) {
  return new Hono<AppEnv>()
    .on("HEAD", "/", (c) => c.body(null, 200))
    .get("/", (c) => c.json({ service: "anthropic-bedrock-proxy", status: "ok" }))
    .get("/health", (c) => c.json({ status: "ok" }))
    .get("/ready", async (c) => {
      const checks = await Promise.all(Object.entries(deps.readiness).map(async ([name, check]) => [name, await outcome(check)] as const));
      const ready = checks.every(([, result]) => result === "ok");
      return c.json({ status: ready ? "ready" : "not_ready", checks: Object.fromEntries(checks) }, ready ? 200 : 503);
    });
}

async function outcome(check: () => Promise<void>): Promise<string> {
  try {
    await check();
    return "ok";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
