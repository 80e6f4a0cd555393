import {
  type BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  CountTokensCommand,
  type ConverseStreamCommandInput,
} from "@aws-sdk/client-bedrock-runtime";
import type { StreamEvent } from "../../anthropic/messages.ts";
import type { ImageLoader } from "../images/request-images.ts";
import type { PreparedRequest } from "../prepare.ts";
import type { StreamChunk, Upstream, UpstreamCall } from "../upstream.ts";
import { toConverseRequest, toCountTokensInput } from "./request/index.ts";
import { fromConverseResponse } from "./response/message.ts";
import { ConverseStreamTranslator } from "./response/stream.ts";

/** Every model but Claude: the Anthropic request converted to Converse, the answer converted back. */
export function createConverseUpstream(client: BedrockRuntimeClient, loadImages: ImageLoader): Upstream {
  const options = (call: UpstreamCall) => ({ loadImages, debug: (message: string) => call.log.debug(message) });
  const convert = (prepared: PreparedRequest, call: UpstreamCall) => toConverseRequest(prepared, options(call));

  return {
    async complete(prepared, call) {
      const { input, toolNames } = await convert(prepared, call);
      const output = await call.beforeFirstByte((abortSignal) => client.send(new ConverseCommand(withTier(input, call)), { abortSignal }));
      const message = fromConverseResponse(output, {
        messageId: call.messageId,
        model: prepared.model.requested,
        toolNames,
        stopSequences: prepared.request.stop_sequences,
      });
      return { message: { ...message }, usage: message.usage };
    },

    async stream(prepared, call) {
      const { input, toolNames } = await convert(prepared, call);
      const translator = new ConverseStreamTranslator({
        messageId: call.messageId,
        model: prepared.model.requested,
        inputTokensEstimate: prepared.estimatedInputTokens,
        toolNames,
        stopSequences: prepared.request.stop_sequences,
      });
      const events = await call.openStream(async (abortSignal) => (await client.send(new ConverseStreamCommand(withTier(input, call)), { abortSignal })).stream);
      return { chunks: call.guard(translateAll(events, translator)), usage: () => translator.usage };
    },

    async countTokens(prepared, call) {
      if (!prepared.model.profile.countTokens) return undefined;
      const input = await toCountTokensInput(prepared, options(call));
      const output = await call.beforeFirstByte((abortSignal) => client.send(new CountTokensCommand({ modelId: prepared.model.modelId, input }), { abortSignal }));
      return output.inputTokens;
    },
  };
}

async function* translateAll(events: AsyncIterable<ConverseStreamOutput>, translator: ConverseStreamTranslator): AsyncGenerator<StreamChunk> {
  yield* chunks(translator.start());
  for await (const event of events) yield* chunks(translator.push(event));
  yield* chunks(translator.end());
}

function* chunks(events: StreamEvent[]): Generator<StreamChunk> {
  for (const event of events) yield { type: event.type, data: JSON.stringify(event) };
}

function withTier(input: ConverseStreamCommandInput, call: UpstreamCall): ConverseStreamCommandInput {
  const tier = call.requestedTier;
  return tier ? { ...input, serviceTier: { type: tier } } : input;
}
