import type { CachePointBlock } from "@aws-sdk/client-bedrock-runtime";
import type { CacheControl } from "../../../anthropic/schema.ts";
import type { ConversionContext } from "./context.ts";

/**
 * Anthropic marks the END of a cached prefix with `cache_control` on a block; Converse marks it with a
 * `cachePoint` block placed right after. Models without prompt caching get none (the request still
 * works, uncached).
 */
export function cachePointFor(cacheControl: CacheControl | null | undefined, ctx: ConversionContext): CachePointBlock | undefined {
  if (!cacheControl) return undefined;
  if (!ctx.model.profile.promptCaching) {
    ctx.debugOnce(`cache_control dropped: model ${ctx.model.requested} has no prompt caching`);
    return undefined;
  }
  // 5m is Bedrock's default; only the longer TTL needs saying.
  return cacheControl.ttl === "1h" ? { type: "default", ttl: "1h" } : { type: "default" };
}

/** Message, system and tool lists all hold cachePoints as a `cachePoint` member. */
interface MayBeCachePoint {
  cachePoint?: CachePointBlock | undefined;
}

export function isCachePoint(block: MayBeCachePoint): boolean {
  return block.cachePoint !== undefined;
}

/**
 * A cachePoint must follow content: one at the start of a message (its block was dropped) or right
 * after another cachePoint marks nothing, and Bedrock counts it against the four allowed.
 */
export function withoutStrayCachePoints<Block extends MayBeCachePoint>(content: readonly Block[]): Block[] {
  const kept: Block[] = [];
  for (const block of content) {
    const previous = kept.at(-1);
    if (isCachePoint(block) && (previous === undefined || isCachePoint(previous))) continue;
    kept.push(block);
  }
  return kept;
}
