/**
 * The pairing rule both APIs enforce: every tool use of an assistant turn is answered in the very
 * next user turn, and a tool result answers a tool use of the turn just before it.
 * Each validator words the violation its own API's way.
 */

export interface TurnTools {
  role: "user" | "assistant";
  toolUseIds: readonly string[];
  toolResultIds: readonly string[];
}

export type PairingViolation =
  /** `index` is the user turn that lacks results for `ids`. */
  | { kind: "missingResults"; index: number; ids: string[] }
  /** `index` is the user turn whose results for `ids` answer nothing. */
  | { kind: "unexpectedResults"; index: number; ids: string[] };

export function toolPairingViolation(turns: readonly TurnTools[]): PairingViolation | null {
  for (const [index, turn] of turns.entries()) {
    const next = turns[index + 1];
    if (turn.role === "assistant" && next?.role === "user") {
      const missing = turn.toolUseIds.filter((id) => !next.toolResultIds.includes(id));
      if (missing.length > 0) return { kind: "missingResults", index: index + 1, ids: missing };
    }
    if (turn.role === "user" && turn.toolResultIds.length > 0) {
      const previous = turns[index - 1];
      const answerable = previous?.role === "assistant" ? previous.toolUseIds : [];
      const unexpected = turn.toolResultIds.filter((id) => !answerable.includes(id));
      if (unexpected.length > 0) return { kind: "unexpectedResults", index, ids: unexpected };
    }
  }
  return null;
}
