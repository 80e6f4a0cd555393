import {
  type BedrockRuntimeClient,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type ResponseStream,
} from "@aws-sdk/client-bedrock-runtime";
import type { ImageLoader } from "../images/request-images.ts";
import type { PreparedRequest } from "../prepare.ts";
import type { Upstream, UpstreamCall } from "../upstream.ts";
import { inlineUrlImages } from "./inline-images.ts";
import { toInvokeBody } from "./request.ts";
import { InvokeStreamRelay, normaliseUsage } from "./stream.ts";

/** Claude natively: InvokeModel with the Anthropic body, its events relayed nearly as they come. */
export function createInvokeUpstream(client: BedrockRuntimeClient, loadImages: ImageLoader): Upstream {
  const decoder = new TextDecoder();
  const serialise = async (prepared: PreparedRequest, call: UpstreamCall) =>
    JSON.stringify(toInvokeBody({ ...prepared, request: await inlineUrlImages(prepared.request, loadImages) }, call.log));
  return {
    async complete(prepared, call) {
      const body = await serialise(prepared, call);
      const output = await call.beforeFirstByte((abortSignal) =>
        client.send(new InvokeModelCommand({ modelId: prepared.model.modelId, body, contentType: "application/json", accept: "application/json", serviceTier: call.requestedTier }), { abortSignal }),
      );
      const message = JSON.parse(decoder.decode(output.body)) as Record<string, unknown>;
      const usage = normaliseUsage(message.usage);
      return { message: { ...message, model: prepared.model.requested, usage }, usage };
    },

    async stream(prepared, call) {
      const body = await serialise(prepared, call);
      const relay = new InvokeStreamRelay(prepared.model.requested);
      const events = await call.openStream(async (abortSignal) => {
        const command = new InvokeModelWithResponseStreamCommand({
          modelId: prepared.model.modelId,
          body,
          contentType: "application/json",
          accept: "application/json",
          serviceTier: call.requestedTier,
        });
        return (await client.send(command, { abortSignal })).body;
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

async function* relayAll(events: AsyncIterable<ResponseStream>, relay: InvokeStreamRelay) {
  for await (const event of events) {
    const chunk = relay.push(event);
    if (chunk) yield chunk;
  }
  relay.end();
}
