import type { StopReason as BedrockStopReason } from "@aws-sdk/client-bedrock-runtime";
import type { StopReason } from "../../anthropic/messages.ts";
import { ownEntry } from "../../own-entry.ts";
import { isRecord } from "./json-document.ts";

/** Every Converse stop reason, in the one place it is translated. */
const stopReasons: Record<BedrockStopReason, StopReason> = {
  end_turn: "end_turn",
  tool_use: "tool_use",
  max_tokens: "max_tokens",
  stop_sequence: "stop_sequence",
  // A guardrail or content filter cut the answer: Anthropic's word for a declined answer is refusal.
  guardrail_intervened: "refusal",
  content_filtered: "refusal",
  model_context_window_exceeded: "model_context_window_exceeded",
  // The model's turn is over but its output could not be parsed: what arrived is final, and Anthropic
  // has no "malformed" reason. refusal would wrongly tell the client a policy stopped it.
  malformed_model_output: "end_turn",
  // Bedrock could not parse the tool call the model wrote. Reporting tool_use would make a client wait
  // for, or run, a call that does not exist as written; end_turn hands the turn back to the user.
  malformed_tool_use: "end_turn",
};

/** A reason newer than this table ends the turn, which is what every Converse stop does. */
export function toStopReason(reason: string | undefined): StopReason | null {
  if (reason === undefined) return null;
  return ownEntry(stopReasons, reason) ?? "end_turn";
}

/**
 * Which stop sequence matched. Claude reports it in the additional response fields (`stop_sequence`
 * in Converse, `delta.stop_sequence` in ConverseStream's messageStop); otherwise it is known only when
 * the request had exactly one (docs/bedrock-protocol.md#p16-stop-sequence).
 */
export function toStopSequence(
  reason: string | undefined,
  additionalFields: unknown,
  requested: readonly string[] | undefined,
): string | null {
  const reported = reportedStopSequence(additionalFields);
  if (reported !== undefined) return reported;
  if (reason === "stop_sequence" && requested?.length === 1) return requested[0] ?? null;
  return null;
}

function reportedStopSequence(fields: unknown): string | undefined {
  if (!isRecord(fields)) return undefined;
  const value = fields["stop_sequence"] ?? (isRecord(fields["delta"]) ? fields["delta"]["stop_sequence"] : undefined);
  return typeof value === "string" ? value : undefined;
}
