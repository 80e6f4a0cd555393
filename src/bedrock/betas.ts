import { ownEntry } from "../own-entry.ts";

/**
 * The `anthropic_beta` values Bedrock accepts, per Claude model: the one place this list lives.
 * The proxy filters the client's `anthropic-beta` header through it, and the emulator rejects
 * anything outside it with Bedrock's "invalid beta flag", so both always agree
 * (docs/bedrock-protocol.md#p7-beta-flags).
 *
 * Sources: the AWS Bedrock user guide, "Anthropic Claude Messages API" → "Beta headers" table
 * (docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html),
 * its per-feature pages (tool use with input examples, tool search, context management, effort, 1M context),
 * and the behaviour public gateways record when Bedrock answers "invalid beta flag" for a model.
 * A model we cannot place gets the Bedrock-wide documented set.
 *
 * Betas outside the list are dropped. Those Claude Code sends (`claude-code-*`, `thinking-token-count-*`,
 * `prompt-caching-scope-*`, and from 2.1.332 `per-turn-control-*` and `mid-conversation-tool-changes-*`) are
 * Anthropic's own: each request already carries its whole tool list and settings, and `mid-conversation-system-*`
 * messages are folded by prepare.ts, so Bedrock needs none of them.
 */

const documented = [
  "computer-use-2024-10-22",
  "computer-use-2025-01-24",
  "computer-use-2025-11-24",
  "token-efficient-tools-2025-02-19",
  "fine-grained-tool-streaming-2025-05-14",
  "interleaved-thinking-2025-05-14",
  "output-128k-2025-02-19",
  "dev-full-thinking-2025-05-14",
  "context-1m-2025-08-07",
  "context-management-2025-06-27",
  "effort-2025-11-24",
  "tool-search-tool-2025-10-19",
  "tool-examples-2025-10-29",
  "compact-2026-01-12",
] as const;

type BedrockBeta = (typeof documented)[number];

const claude4Common: BedrockBeta[] = [
  "computer-use-2025-01-24",
  "token-efficient-tools-2025-02-19",
  "fine-grained-tool-streaming-2025-05-14",
  "interleaved-thinking-2025-05-14",
  "dev-full-thinking-2025-05-14",
  "context-management-2025-06-27",
];

/** First match on the model id wins. */
const perModel: { pattern: RegExp; betas: BedrockBeta[] }[] = [
  {
    pattern: /claude-(opus|sonnet)-4-[6-9]|claude-(opus|sonnet)-[5-9]/,
    betas: [...claude4Common, "computer-use-2025-11-24", "context-1m-2025-08-07", "compact-2026-01-12", "effort-2025-11-24", "tool-search-tool-2025-10-19", "tool-examples-2025-10-29"],
  },
  {
    pattern: /claude-opus-4-5/,
    betas: [...claude4Common, "computer-use-2025-11-24", "effort-2025-11-24", "tool-search-tool-2025-10-19", "tool-examples-2025-10-29"],
  },
  { pattern: /claude-sonnet-4-5/, betas: [...claude4Common, "context-1m-2025-08-07", "tool-search-tool-2025-10-19"] },
  { pattern: /claude-haiku-4-5/, betas: claude4Common },
  { pattern: /claude-(opus|sonnet)-4/, betas: [...claude4Common, "context-1m-2025-08-07"] },
  { pattern: /claude-3-7-sonnet/, betas: ["computer-use-2025-01-24", "token-efficient-tools-2025-02-19", "output-128k-2025-02-19"] },
  { pattern: /claude-3-5-sonnet-20241022/, betas: ["computer-use-2024-10-22"] },
  { pattern: /claude-3/, betas: [] },
];

const cache = new Map<string, ReadonlySet<string>>();

/** The betas Bedrock accepts for this model id (inference profile prefixes and ARNs included). */
export function acceptedBetas(modelId: string): ReadonlySet<string> {
  let set = cache.get(modelId);
  if (!set) {
    set = new Set<string>(perModel.find((m) => m.pattern.test(modelId))?.betas ?? documented);
    cache.set(modelId, set);
  }
  return set;
}

/**
 * Anthropic's names for features Bedrock ships under another beta. `advanced-tool-use` carries
 * `input_examples` (and tool search) on Anthropic; Bedrock splits it in two.
 */
const renames: Record<string, readonly BedrockBeta[]> = {
  "advanced-tool-use-2025-11-20": ["tool-examples-2025-10-29", "tool-search-tool-2025-10-19"],
};

export interface BetaMapping {
  /** What goes to Bedrock as `anthropic_beta`. */
  forwarded: string[];
  /** What the client sent that Bedrock would reject for this model (logged at debug). */
  dropped: string[];
}

/** Splits the comma-separated `anthropic-beta` header values into a clean list. */
export function parseBetaHeader(header: string | undefined | null): string[] {
  if (!header) return [];
  return header.split(",").map((b) => b.trim()).filter((b) => b.length > 0);
}

/** Renames what Bedrock knows under another name, keeps what the model accepts, drops the rest. */
export function mapBetas(requested: readonly string[], modelId: string): BetaMapping {
  const accepted = acceptedBetas(modelId);
  const forwarded = new Set<string>();
  const dropped: string[] = [];
  for (const beta of requested) {
    const candidates = ownEntry(renames, beta) ?? [beta];
    const kept = candidates.filter((c) => accepted.has(c));
    kept.forEach((c) => forwarded.add(c));
    if (kept.length === 0) dropped.push(beta);
  }
  return { forwarded: [...forwarded], dropped };
}
