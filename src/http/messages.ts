import { Hono } from "hono";
import { newMessageId } from "../anthropic/messages.ts";
import { countTokensRequestSchema, messagesRequestSchema } from "../anthropic/schema.ts";
import { parseBetaHeader } from "../bedrock/betas.ts";
import type { Principal } from "../gateway/gateway.ts";
import type { ProxyDeps } from "./deps.ts";
import type { AppEnv } from "./env.ts";
import { awaitingModel } from "./middleware/connection-limits.ts";
import { sseBody, sseHeaders } from "./sse-response.ts";
import { jsonBody } from "./validate.ts";

/** POST /v1/messages and /v1/messages/count_tokens. */
export function messagesRoutes(deps: ProxyDeps) {
  const resolveFor = (principal: Principal, requested: string) => {
    const model = deps.models.resolve(requested, principal.kind === "key" ? principal.key.model_map : undefined);
    deps.gateway.authorizeModel(principal, model);
    return model;
  };

  return new Hono<AppEnv>()
    .post("/", jsonBody(messagesRequestSchema), awaitingModel, async (c) => {
      const request = c.req.valid("json");
      const model = resolveFor(c.var.principal, request.model);
      c.set("model", model.modelId);
      const log = c.var.log.child({ model: model.modelId });
      const betaHeader = parseBetaHeader(c.req.header("anthropic-beta"));
      const { prepared, upstream } = await deps.dispatch.messages({ request, model, betaHeader, principal: c.var.principal, log });
      const ticket = await deps.gateway.admit(c.var.principal, prepared, c.var.requestId);
      for (const [name, value] of Object.entries(ticket.headers())) c.header(name, value);
      const call = deps.newCall(c.req.raw.signal, { messageId: newMessageId(), log, serviceTier: ticket.tier });
      if (!request.stream) return c.json(await ticket.complete(call, () => upstream.complete(prepared, call)));

      const stream = await ticket.stream(call, () => upstream.stream(prepared, call));
      const body = sseBody(stream, {
        pingIntervalMs: deps.pingIntervalMs,
        requestId: c.var.requestId,
        log,
        abort: () => call.abort(),
        onEnd: () => c.env.connection.answered(),
      });
      return c.body(body, 200, sseHeaders);
    })
    .post("/count_tokens", jsonBody(countTokensRequestSchema), awaitingModel, async (c) => {
      const request = c.req.valid("json");
      const model = resolveFor(c.var.principal, request.model);
      c.set("model", model.modelId);
      const log = c.var.log.child({ model: model.modelId });
      const { prepared, upstream } = deps.dispatch.countTokens({ request, model, betaHeader: parseBetaHeader(c.req.header("anthropic-beta")), log });
      const call = deps.newCall(c.req.raw.signal, { messageId: newMessageId(), log, serviceTier: "default" });
      try {
        const counted = await upstream.countTokens(prepared, call);
        return c.json({ input_tokens: counted ?? prepared.estimatedInputTokens });
      } finally {
        call.end();
      }
    });
}
