/**
 * The sandbox service's HTTP API (Hono). Every route but /health and /metrics needs the service token;
 * every error is rendered once, by onError, as `{"error": {"type", "message"}}`.
 */
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import type { z } from "zod";
import { sameSecret } from "../../lib/credentials.ts";
import { closeRequestSpan, openRequestSpan } from "../../lib/http-tracing.ts";
import { inSpan, withinSpan } from "../../lib/tracing.ts";
import { createSessionRequest, type ExecutionResult, executeRequest, ownerQuery, type ServiceHealth, toolResultsRequest } from "../../lib/sandbox-api.ts";
import { describeIssues, type Issue } from "../../lib/zod-issues.ts";
import { ServiceError } from "./errors.ts";
import type { SandboxMetrics } from "./metrics.ts";
import type { WarmPool } from "./pool.ts";
import type { SessionManager } from "./sessions.ts";

export interface AppDeps {
  token: string;
  runtimeKind: string;
  pool: WarmPool;
  sessions: SessionManager;
  metrics: SandboxMetrics;
  log?: (message: string, detail?: unknown) => void;
}

/** Below the runner's 64 MiB frame cap, with room for the message around the code. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

function refuseInvalid(where: string) {
  return (result: { success: true } | { success: false; error: { issues: readonly Issue[] } }): void => {
    if (!result.success) throw new ServiceError("invalid_request_error", describeIssues(result.error.issues, where));
  };
}

const jsonBody = <T extends z.ZodType>(schema: T) => zValidator("json", schema, refuseInvalid("body"));
const query = <T extends z.ZodType>(schema: T) => zValidator("query", schema, refuseInvalid("query"));

function bearerToken(expected: string) {
  return createMiddleware(async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match?.[1]) throw new ServiceError("authentication_error", "missing Authorization: Bearer <token>");
    if (!sameSecret(match[1].trim(), expected)) throw new ServiceError("authentication_error", "invalid token");
    await next();
  });
}

/** Each request in a server span, a child of the caller's (the proxy's sandbox call) when it sends `traceparent`. */
const traceRequests = createMiddleware(async (c, next) => {
  const span = openRequestSpan(c);
  if (!span) return next();
  await withinSpan(span, next);
  closeRequestSpan(c, span);
});

/** The attributes of an execution's step, for its span. */
function stepAttributes(result: ExecutionResult) {
  return {
    "sandbox.execution_id": result.execution_id,
    "sandbox.status": result.status,
    ...(result.status === "tool_calls" && { "sandbox.tool_calls": result.calls.length }),
    ...(result.status === "failed" && { "error.type": result.error_code }),
  };
}

export function createApp(deps: AppDeps) {
  const { sessions, metrics } = deps;
  const timed = async (step: "execute" | "resume", run: () => Promise<ExecutionResult>) => {
    const started = performance.now();
    const result = await run();
    metrics.step(step, result, performance.now() - started);
    return result;
  };

  const v1 = new Hono()
    .use(bearerToken(deps.token))
    .use(
      bodyLimit({
        maxSize: MAX_BODY_BYTES,
        onError: () => {
          throw new ServiceError("request_too_large", `request body exceeds ${MAX_BODY_BYTES} bytes`);
        },
      }),
    )
    .post("/sessions", jsonBody(createSessionRequest), async (c) => {
      const { owner } = c.req.valid("json");
      const created = await inSpan("sandbox.session.create", { "sandbox.owner": owner }, async (span) => {
        const session = await sessions.create(owner);
        span?.setAttribute("sandbox.session_id", session.session_id);
        return session;
      });
      return c.json(created, 201);
    })
    .get("/sessions/:id", query(ownerQuery), (c) => c.json(sessions.info(c.req.param("id"), c.req.valid("query").owner)))
    .delete("/sessions/:id", query(ownerQuery), async (c) => {
      await sessions.delete(c.req.param("id"), c.req.valid("query").owner);
      return c.body(null, 204);
    })
    .post("/sessions/:id/executions", jsonBody(executeRequest), async (c) => {
      const body = c.req.valid("json");
      const tools = body.tools.map((t) => (t.description === undefined ? { name: t.name } : { name: t.name, description: t.description }));
      const sessionId = c.req.param("id");
      const result = await inSpan("sandbox.execution.run", { "sandbox.session_id": sessionId, "sandbox.tools": tools.length }, async (span) => {
        const step = await timed("execute", () => sessions.execute(sessionId, body.owner, body.code, tools));
        span?.setAttributes(stepAttributes(step));
        return step;
      });
      return c.json(result);
    })
    .post("/sessions/:id/executions/:executionId/tool-results", jsonBody(toolResultsRequest), async (c) => {
      const body = c.req.valid("json");
      const attributes = { "sandbox.session_id": c.req.param("id"), "sandbox.execution_id": c.req.param("executionId"), "sandbox.tool_results": body.results.length };
      const result = await inSpan("sandbox.execution.tool_results", attributes, async (span) => {
        const step = await timed("resume", () => sessions.submitToolResults(c.req.param("id"), body.owner, c.req.param("executionId"), body.results));
        span?.setAttributes(stepAttributes(step));
        return step;
      });
      return c.json(result);
    });

  return new Hono()
    .use(traceRequests)
    .get("/health", (c) => {
      const { idle, busy } = deps.pool.stats();
      const health: ServiceHealth = { runtime: deps.runtimeKind, pool: { idle, busy }, sessions: sessions.count };
      return c.json(health);
    })
    // Open like /health: see sandbox/src/metrics.ts.
    .get("/metrics", async (c) => c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }))
    .route("/v1", v1)
    .notFound((c) => c.json(new ServiceError("not_found_error", `not found: ${c.req.method} ${c.req.path}`).toJSON(), 404))
    .onError((error, c) => {
      const serviceError =
        error instanceof ServiceError
          ? error
          : error instanceof HTTPException && error.status < 500
            ? new ServiceError(error.status === 401 ? "authentication_error" : "invalid_request_error", error.message || "invalid request")
            : new ServiceError("api_error", "internal error", { cause: error });
      if (serviceError.status >= 500) deps.log?.("request failed", error);
      return c.json(serviceError.toJSON(), serviceError.status as 400);
    });
}
