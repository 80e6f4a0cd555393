import { Hono } from "hono";
import { newMessageId } from "../anthropic/messages.ts";
import { countTokensRequestSchema, messagesRequestSchema } from "../anthropic/schema.ts";
import { estimateInputTokens } from "../anthropic/estimate.ts";
import { parseBetaHeader } from "../bedrock/betas.ts";
import { prepareRequest } from "../bedrock/prepare.ts";
import type { AppEnv } from "./env.ts";
import type { ProxyDeps } from "./deps.ts";
import { sseBody, sseHeaders } from "./sse-response.ts";
import { jsonBody } from "./validate.ts";

/** POST /v1/messages and /v1/messages/count_tokens. */
export function messagesRoutes(deps: ProxyDeps) {
  return new Hono<AppEnv>()
    .post("/", jsonBody(messagesRequestSchema), async (c) => {
      const request = c.req.valid("json");
      const model = deps.models.resolve(request.model);
      const log = c.var.log.child({ model: model.modelId });
      const prepared = prepareRequest(request, model, parseBetaHeader(c.req.header("anthropic-beta")), log);
      const upstream = deps.upstreams[model.route];
      const call = deps.newCall(c.req.raw.signal, { messageId: newMessageId(), log });
      if (!request.stream) {
        try {
          const { message } = await upstream.complete(prepared, call);
          return c.json(message);
        } finally {
          call.end();
        }
      }
      const stream = await upstream.stream(prepared, call).catch((error: unknown) => {
        call.end();
        throw error;
      });
      const body = sseBody(stream, { pingIntervalMs: deps.pingIntervalMs, requestId: c.var.requestId, log, abort: () => call.abort(), onEnd: () => call.end() });
      return c.body(body, 200, sseHeaders);
    })
    .post("/count_tokens", jsonBody(countTokensRequestSchema), async (c) => {
      const request = c.req.valid("json");
      const model = deps.models.resolve(request.model);
      const call = deps.newCall(c.req.raw.signal, { messageId: newMessageId(), log: c.var.log });
      try {
        const counted = await deps.upstreams[model.route].countTokens(request, model, call);
        return c.json({ input_tokens: counted ?? estimateInputTokens(request) });
      } finally {
        call.end();
      }
    });
}
