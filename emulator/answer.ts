import { reasoningSignature } from "./ids.ts";
import { exampleOf } from "./json-schema.ts";
import type { RequestFacts } from "./request-facts.ts";
import type { Turn, TurnContent } from "./script.ts";
import { chunkText, truncateText } from "./text-chunks.ts";
import { estimateTokens } from "./tokens.ts";

/**
 * A turn with every default filled in: what any operation renders. Without a scripted turn the
 * answer is deterministic: it quotes the last user text, as JSON following the schema when the
 * request asked for structured output.
 */

export type AnswerBlock =
  | { text: string }
  | { reasoning: { text: string; signature: string } }
  | { redactedReasoning: string }
  | { toolUse: { toolUseId: string; name: string; input: Record<string, unknown> } };

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheWriteInputTokens: number;
}

export interface Pacing {
  firstByteDelayMs: number;
  /** Before each content delta after the first frame. */
  chunkDelayMs: number;
  /** Characters per text, reasoning or tool-input delta. */
  chunkChars: number;
}

export interface Answer {
  content: AnswerBlock[];
  stopReason: string;
  /** The matched stop sequence when `stopReason` is `stop_sequence`, else null. */
  stopSequence: string | null;
  usage: Usage;
  pacing: Pacing;
  streamError: Turn["streamError"];
}

const defaultChunkChars = 20;
const quotedChars = 200;

export function defaultAnswerText(lastUserText: string): string {
  return `You said: "${truncateText(lastUserText, quotedChars)}"`;
}

function defaultText(facts: RequestFacts): string {
  if (facts.outputSchema === undefined) return defaultAnswerText(facts.lastUserText);
  return JSON.stringify(exampleOf(facts.outputSchema, truncateText(facts.lastUserText, quotedChars)));
}

export function resolveAnswer(turn: Turn | undefined, facts: RequestFacts, newToolUseId: () => string): Answer {
  const content = possibleContent(turn, facts).map((block) => completeBlock(block, newToolUseId));
  const hasToolUse = content.some((block) => "toolUse" in block);
  const stopReason = turn?.stopReason ?? (hasToolUse ? "tool_use" : "end_turn");
  return {
    content,
    stopReason,
    stopSequence: stopReason === "stop_sequence" ? (facts.stopSequences[0] ?? null) : null,
    usage: {
      inputTokens: turn?.usage?.inputTokens ?? facts.inputTokens,
      outputTokens: turn?.usage?.outputTokens ?? estimateTokens(content.map(outputLength)),
      cacheReadInputTokens: turn?.usage?.cacheReadInputTokens ?? 0,
      cacheWriteInputTokens: turn?.usage?.cacheWriteInputTokens ?? 0,
    },
    pacing: {
      firstByteDelayMs: turn?.firstByteDelayMs ?? 0,
      chunkDelayMs: turn?.chunkDelayMs ?? 0,
      chunkChars: turn?.chunkChars ?? defaultChunkChars,
    },
    streamError: turn?.streamError,
  };
}

/**
 * A model calls only the tools its request offers, so a scripted call of any other cannot happen: it is
 * left out, and a turn left with nothing answers as the default does.
 */
function possibleContent(turn: Turn | undefined, facts: RequestFacts): TurnContent[] {
  const fallback = [{ text: defaultText(facts) }];
  const scripted = turn?.content ?? fallback;
  const possible = scripted.filter((block) => !("toolUse" in block) || facts.callableTools.has(block.toolUse.name));
  return possible.length === 0 && scripted.length > 0 ? fallback : possible;
}

function completeBlock(block: TurnContent, newToolUseId: () => string): AnswerBlock {
  if ("toolUse" in block) return { toolUse: { ...block.toolUse, toolUseId: block.toolUse.toolUseId ?? newToolUseId() } };
  if ("reasoning" in block) return { reasoning: { text: block.reasoning.text, signature: block.reasoning.signature ?? reasoningSignature() } };
  return block;
}

function outputLength(block: AnswerBlock): number {
  if ("text" in block) return block.text.length;
  if ("reasoning" in block) return block.reasoning.text.length;
  if ("toolUse" in block) return block.toolUse.name.length + JSON.stringify(block.toolUse.input).length;
  return block.redactedReasoning.length;
}

/** The text deltas a block streams as (tool input arrives as JSON fragments). */
export function deltaTexts(text: string, pacing: Pacing): string[] {
  return chunkText(text, pacing.chunkChars);
}

/** How many content deltas the answer streams as, in either format. */
function deltaCount(answer: Answer): number {
  const count = (block: AnswerBlock): number => {
    if ("text" in block) return deltaTexts(block.text, answer.pacing).length;
    if ("reasoning" in block) return deltaTexts(block.reasoning.text, answer.pacing).length + 1;
    if ("toolUse" in block) return deltaTexts(JSON.stringify(block.toolUse.input), answer.pacing).length + 1;
    return 1;
  };
  return answer.content.reduce((total, block) => total + count(block), 0);
}

/** The simulated generation time: first byte, then one chunk delay per delta. */
export function generationMs(answer: Answer): number {
  return Math.round(answer.pacing.firstByteDelayMs + answer.pacing.chunkDelayMs * deltaCount(answer));
}
