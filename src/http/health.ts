import { Hono } from "hono";
import type { ProxyDeps, ReadinessChecks } from "./deps.ts";
import type { AppEnv } from "./env.ts";

/**
 * Liveness (`/health`: the process answers, nothing else checked), readiness (`/ready`: every
 * dependency answers), and `HEAD /`, the connectivity check Claude Code makes before its first call.
 *
 * An optional dependency that fails (the sandbox service) leaves the replica ready, `degraded`: a load
 * balancer that replaced every replica because a service they share is down would take the whole API
 * away for the sake of PTC requests, which answer their own error meanwhile (docs/deploy.md).
 */
export function healthRoutes(deps: ProxyDeps) {
  return new Hono<AppEnv>()
    .on("HEAD", "/", (c) => c.body(null, 200))
    .get("/", (c) => c.json({ service: "anthropic-bedrock-proxy", status: "ok" }))
    .get("/health", (c) => c.json({ status: "ok" }))
    .get("/ready", async (c) => {
      const [required, optional] = await Promise.all([run(deps.readiness.required), run(deps.readiness.optional)]);
      const ready = allOk(required);
      const status = !ready ? "not_ready" : allOk(optional) ? "ready" : "degraded";
      return c.json({ status, checks: Object.fromEntries([...required, ...optional]) }, ready ? 200 : 503);
    });
}

type Outcomes = (readonly [string, string])[];

function run(checks: ReadinessChecks): Promise<Outcomes> {
  return Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await outcome(check)] as const));
}

function allOk(outcomes: Outcomes): boolean {
  return outcomes.every(([, result]) => result === "ok");
}

async function outcome(check: () => Promise<void>): Promise<string> {
  try {
    await check();
    return "ok";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
