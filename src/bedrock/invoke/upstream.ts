import { type BedrockRuntimeClient, CountTokensCommand, type ResponseStream } from "@aws-sdk/client-bedrock-runtime";
import type { ImageLoader } from "../images/request-images.ts";
import type { PreparedRequest } from "../prepare.ts";
import { eventStreamFrames } from "../runtime/event-stream.ts";
import type { BedrockRuntimeHttp } from "../runtime/http.ts";
import type { Upstream, UpstreamCall } from "../upstream.ts";
import { inlineUrlImages } from "./inline-images.ts";
import { toInvokeBody } from "./request.ts";
import { InvokeStreamRelay, normaliseUsage } from "./stream.ts";

/** Claude natively: InvokeModel with the Anthropic body, its events relayed nearly as they come. */
export function createInvokeUpstream(http: BedrockRuntimeHttp, client: BedrockRuntimeClient, loadImages: ImageLoader): Upstream {
  const serialise = async (prepared: PreparedRequest, call: UpstreamCall) =>
    JSON.stringify(toInvokeBody({ ...prepared, request: await inlineUrlImages(prepared.request, loadImages) }, call.log));
  const request = (operation: "invoke" | "invoke-with-response-stream", prepared: PreparedRequest, body: string, call: UpstreamCall) => {
    const tier = call.requestedTier;
    const headers = { "content-type": "application/json", accept: "application/json", ...(tier && { "x-amzn-bedrock-service-tier": tier }) };
    return { operation, modelId: prepared.model.modelId, body, headers };
  };
  return {
    async complete(prepared, call) {
      const body = await serialise(prepared, call);
      // The body is read inside the attempt: the first-byte timeout and the retries cover it, as they did the SDK's.
      const message = await call.beforeFirstByte(async (signal) => (await http.post(request("invoke", prepared, body, call), signal)).json() as Promise<Record<string, unknown>>);
      const usage = normaliseUsage(message.usage);
      return { message: { ...message, model: prepared.model.requested, usage }, usage };
    },

    async stream(prepared, call) {
      const body = await serialise(prepared, call);
      const relay = new InvokeStreamRelay(prepared.model.requested);
      const events = await call.openStream(async (signal) => {
        const response = await http.post(request("invoke-with-response-stream", prepared, body, call), signal);
        return response.body ? responseStream(response.body) : undefined;
      });
      return { chunks: call.guard(relayAll(events, relay)), usage: () => relay.usage };
    },

    async countTokens(prepared, call) {
      if (!prepared.model.profile.countTokens) return undefined;
      // CountTokens takes a whole InvokeModel body: the one /messages would send.
      const body = new TextEncoder().encode(JSON.stringify(toInvokeBody(prepared, call.log)));
      const output = await call.beforeFirstByte((abortSignal) =>
        client.send(new CountTokensCommand({ modelId: prepared.model.modelId, input: { invokeModel: { body } } }), { abortSignal }),
      );
      return output.inputTokens;
    },
  };
}

/** InvokeModel's `chunk` events carry the model's own event as base64 bytes; the relay reads nothing else. */
async function* responseStream(body: ReadableStream<Uint8Array>): AsyncGenerator<ResponseStream> {
  for await (const frame of eventStreamFrames(body)) {
    if (frame.type !== "chunk") continue;
    const { bytes } = JSON.parse(frame.json) as { bytes?: string };
    if (bytes !== undefined) yield { chunk: { bytes: Buffer.from(bytes, "base64") } };
  }
}

async function* relayAll(events: AsyncIterable<ResponseStream>, relay: InvokeStreamRelay) {
  for await (const event of events) {
    const chunk = relay.push(event);
    if (chunk) yield chunk;
  }
  relay.end();
}
