import { Hono } from "hono";
import { toApiError } from "../anthropic/errors.ts";
import { emptyUsage, newMessageId } from "../anthropic/messages.ts";
import { countTokensRequestSchema, messagesRequestSchema } from "../anthropic/schema.ts";
import { parseBetaHeader } from "../bedrock/betas.ts";
import { prepareCountTokens, prepareRequest } from "../bedrock/prepare.ts";
import type { StreamChunk, UpstreamCall } from "../bedrock/upstream.ts";
import type { Principal, Ticket } from "../gateway/gateway.ts";
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
      const log = c.var.log.child({ model: model.modelId });
      const prepared = prepareRequest(request, model, parseBetaHeader(c.req.header("anthropic-beta")), log);
      const reserve = { inputTokens: prepared.estimatedInputTokens, maxTokens: prepared.request.max_tokens };
      const ticket = await deps.gateway.admit(c.var.principal, model, reserve, c.var.requestId);
      for (const [name, value] of Object.entries(ticket.headers())) c.header(name, value);
      const call = deps.newCall(c.req.raw.signal, { messageId: newMessageId(), log, serviceTier: ticket.tier });
      const upstream = deps.upstreams[model.route];
      const failed = (error: unknown) => finishFailed(call, ticket, error);

      if (!request.stream) {
        const { message, usage } = await upstream.complete(prepared, call).catch(failed);
        call.end();
        await ticket.finish({ usage, status: 200, errorType: null, servedTier: call.serviceTier });
        return c.json(message);
      }
      const stream = await upstream.stream(prepared, call).catch(failed);
      const body = sseBody(
        { ...stream, chunks: markingFirstToken(stream.chunks, ticket) },
        {
          pingIntervalMs: deps.pingIntervalMs,
          requestId: c.var.requestId,
          log,
          abort: () => call.abort(),
          onEnd: ({ error, clientAborted }) => {
            call.end();
            c.env.connection.answered();
            // A client that leaves makes the upstream call fail too: the leaving is what happened.
            const status = clientAborted ? clientClosedStatus : (error?.status ?? 200);
            const errorType = clientAborted ? "client_closed" : (error?.type ?? null);
            return ticket.finish({ usage: stream.usage(), status, errorType, servedTier: call.serviceTier });
          },
        },
      );
      return c.body(body, 200, sseHeaders);
    })
    .post("/count_tokens", jsonBody(countTokensRequestSchema), awaitingModel, async (c) => {
      const request = c.req.valid("json");
      const model = resolveFor(c.var.principal, request.model);
      const log = c.var.log.child({ model: model.modelId });
      const prepared = prepareCountTokens(request, model, parseBetaHeader(c.req.header("anthropic-beta")), log);
      const call = deps.newCall(c.req.raw.signal, { messageId: newMessageId(), log, serviceTier: "default" });
      try {
        const counted = await deps.upstreams[model.route].countTokens(prepared, call);
        return c.json({ input_tokens: counted ?? prepared.estimatedInputTokens });
      } finally {
        call.end();
      }
    });
}

/** nginx's "client closed request": the client left before the answer was complete. */
const clientClosedStatus = 499;

/**
 * A request that failed before its answer began is still recorded, with its error and no tokens;
 * when the client left first, its leaving is what happened (the upstream call fails because of it).
 */
async function finishFailed(call: UpstreamCall, ticket: Ticket, error: unknown): Promise<never> {
  call.end();
  const apiError = toApiError(error);
  const [status, errorType] = call.clientLeft ? [clientClosedStatus, "client_closed"] : [apiError.status, apiError.type];
  await ticket.finish({ usage: emptyUsage(), status, errorType, servedTier: call.serviceTier });
  throw error;
}

async function* markingFirstToken(chunks: AsyncIterable<StreamChunk>, ticket: Ticket): AsyncGenerator<StreamChunk> {
  for await (const chunk of chunks) {
    if (chunk.type === "content_block_delta") ticket.markFirstToken();
    yield chunk;
  }
}
