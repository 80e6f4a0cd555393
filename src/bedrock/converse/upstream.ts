import { type BedrockRuntimeClient, type ConverseStreamCommandInput, type ConverseStreamOutput, CountTokensCommand } from "@aws-sdk/client-bedrock-runtime";
import type { StreamEvent } from "../../anthropic/messages.ts";
import type { ImageLoader } from "../images/request-images.ts";
import type { PreparedRequest } from "../prepare.ts";
import { eventStreamFrames } from "../runtime/event-stream.ts";
import type { BedrockRuntimeHttp, RuntimeRequest } from "../runtime/http.ts";
import type { StreamChunk, Upstream, UpstreamCall } from "../upstream.ts";
import { toConverseRequest, toCountTokensInput } from "./request/index.ts";
import { fromConverseResponse } from "./response/message.ts";
import { ConverseStreamTranslator } from "./response/stream.ts";
import { converseBody, converseOutput, converseStreamEvent } from "./wire.ts";

/** Every model but Claude: the Anthropic request converted to Converse, the answer converted back. */
export function createConverseUpstream(http: BedrockRuntimeHttp, client: BedrockRuntimeClient, loadImages: ImageLoader): Upstream {
  const options = (call: UpstreamCall) => ({ loadImages, debug: (message: string) => call.log.debug(message) });
  const convert = (prepared: PreparedRequest, call: UpstreamCall) => toConverseRequest(prepared, options(call));

  return {
    async complete(prepared, call) {
      const { input, toolNames } = await convert(prepared, call);
      // The body is read inside the attempt: the first-byte timeout and the retries cover it, as they did the SDK's.
      const output = await call.beforeFirstByte(async (signal) => converseOutput(await (await http.post(request("converse", prepared, input, call), signal)).text()));
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
      const events = await call.openStream(async (signal) => {
        const response = await http.post(request("converse-stream", prepared, input, call), signal);
        return response.body ? streamEvents(response.body) : undefined;
      });
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

async function* streamEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ConverseStreamOutput> {
  for await (const frame of eventStreamFrames(body)) yield converseStreamEvent(frame);
}

const jsonHeaders = { "content-type": "application/json" };

/** Converse takes the service tier in its body; attempts read it each time (a refused tier falls back). */
function request(operation: "converse" | "converse-stream", prepared: PreparedRequest, input: ConverseStreamCommandInput, call: UpstreamCall): RuntimeRequest {
  const tier = call.requestedTier;
  return { operation, modelId: prepared.model.modelId, body: converseBody(tier ? { ...input, serviceTier: { type: tier } } : input), headers: jsonHeaders };
}
