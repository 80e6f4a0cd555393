import { generationMs, resolveAnswer, type Answer } from "./answer.ts";
import type { Check } from "./check.ts";
import type { ConverseWireRequest } from "./converse-schema.ts";
import { sleep } from "../lib/sleep.ts";
import { errorResponse, streamExceptionMembers, validationError } from "./errors.ts";
import { serviceTierViolation } from "./model-rules.ts";
import { converseToolUseId, invokeToolUseId } from "./ids.ts";
import type { InvokeBody } from "./invoke-schema.ts";
import { converseResponse, converseStreamFrames } from "./render-converse.ts";
import { invokeResponse, invokeStreamFrames, invokeStreamHeaders } from "./render-invoke.ts";
import { converseFacts, invokeFacts, type RequestFacts } from "./request-facts.ts";
import type { TurnQueue } from "./script.ts";
import { eventStreamResponse, type Frame } from "./stream-response.ts";
import { checkConverse } from "./validate-converse.ts";
import { checkInvoke } from "./validate-invoke.ts";

/**
 * The four generating operations share one flow: validate, take the next matching scripted turn,
 * fail as scripted, else answer in the operation's own wire format.
 */

interface WireFormat<Request> {
  check(modelId: string, body: unknown): Check<Request>;
  facts(request: Request): RequestFacts;
  newToolUseId(): string;
  body(answer: Answer, request: Request, modelId: string): Response;
  frames(answer: Answer, modelId: string): Frame[];
  streamHeaders: Record<string, string>;
}

const converseFormat: WireFormat<ConverseWireRequest> = {
  check: checkConverse,
  facts: converseFacts,
  newToolUseId: converseToolUseId,
  body: converseResponse,
  frames: converseStreamFrames,
  streamHeaders: {},
};

const invokeFormat: WireFormat<InvokeBody> = {
  check: checkInvoke,
  facts: invokeFacts,
  newToolUseId: invokeToolUseId,
  body: (answer, _request, modelId) => invokeResponse(answer, modelId),
  frames: invokeStreamFrames,
  streamHeaders: invokeStreamHeaders,
};

export interface GenerationCall {
  modelId: string;
  body: unknown;
  stream: boolean;
  /** Aborts when the client disconnects. */
  signal: AbortSignal;
  /** InvokeModel names its service tier in a header (Converse in the body). */
  headerTier?: string;
}

export function converse(call: GenerationCall, turns: TurnQueue): Promise<Response> {
  return generate(converseFormat, call, turns);
}

export function invoke(call: GenerationCall, turns: TurnQueue): Promise<Response> {
  return generate(invokeFormat, call, turns);
}

async function generate<Request>(format: WireFormat<Request>, call: GenerationCall, turns: TurnQueue): Promise<Response> {
  const checked = format.check(call.modelId, call.body);
  if (!checked.ok) return validationError(checked.message);
  const tierMessage = serviceTierViolation(call.modelId, call.headerTier);
  if (tierMessage) return validationError(tierMessage);
  const facts = format.facts(checked.request);
  const turn = turns.take({ modelId: call.modelId, lastUserText: facts.lastUserText });
  if (turn?.error) return errorResponse(turn.error.type, turn.error.message);
  const answer = resolveAnswer(turn, facts, format.newToolUseId);
  if (call.stream) return eventStreamResponse(format.frames(answer, call.modelId), answer, call.signal, format.streamHeaders);
  if (answer.streamError) return errorResponse(streamExceptionMembers[answer.streamError.type], answer.streamError.message);
  await sleep(generationMs(answer), call.signal);
  return format.body(answer, checked.request, call.modelId);
}
