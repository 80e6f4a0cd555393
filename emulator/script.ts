import { z } from "zod";
import { exceptionNames, streamExceptionMemberNames } from "./errors.ts";

/**
 * The turn queue: tests script what the "model" answers next. Turns are format-neutral; each
 * operation renders the one it takes in its own wire format.
 */

const nonNegative = z.number().int().nonnegative();

export const turnContentSchema = z.union([
  z.strictObject({ text: z.string() }),
  z.strictObject({ reasoning: z.strictObject({ text: z.string(), signature: z.string().optional() }) }),
  z.strictObject({ redactedReasoning: z.base64() }),
  z.strictObject({
    toolUse: z.strictObject({
      toolUseId: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/).optional(),
      name: z.string().min(1),
      input: z.record(z.string(), z.unknown()),
    }),
  }),
]);

export const turnSchema = z.strictObject({
  match: z.strictObject({ model: z.string().optional(), lastUserText: z.string().optional() }).optional(),
  content: z.array(turnContentSchema).optional(),
  stopReason: z.string().min(1).optional(),
  usage: z
    .strictObject({
      inputTokens: nonNegative.optional(),
      outputTokens: nonNegative.optional(),
      cacheReadInputTokens: nonNegative.optional(),
      cacheWriteInputTokens: nonNegative.optional(),
    })
    .optional(),
  error: z.strictObject({ type: z.enum(exceptionNames), message: z.string().optional() }).optional(),
  streamError: z
    .strictObject({ afterEvents: nonNegative, type: z.enum(streamExceptionMemberNames), message: z.string().optional() })
    .optional(),
  firstByteDelayMs: z.number().nonnegative().optional(),
  chunkDelayMs: z.number().nonnegative().optional(),
  chunkChars: z.number().int().positive().optional(),
});

export const scriptSchema = z.strictObject({ responses: z.array(turnSchema) });

export type Turn = z.infer<typeof turnSchema>;
export type TurnContent = z.infer<typeof turnContentSchema>;

/** What a queued turn's `match` is compared with. */
export interface CallFacts {
  modelId: string;
  lastUserText: string;
}

function matches(turn: Turn, call: CallFacts): boolean {
  const { model, lastUserText } = turn.match ?? {};
  return (model === undefined || call.modelId.includes(model)) && (lastUserText === undefined || call.lastUserText.includes(lastUserText));
}

export class TurnQueue {
  private turns: Turn[] = [];

  push(turns: readonly Turn[]): void {
    this.turns.push(...turns);
  }

  /** Removes and returns the first queued turn that matches the call; the others keep their place. */
  take(call: CallFacts): Turn | undefined {
    const index = this.turns.findIndex((turn) => matches(turn, call));
    return index < 0 ? undefined : this.turns.splice(index, 1)[0];
  }

  clear(): void {
    this.turns = [];
  }
}
