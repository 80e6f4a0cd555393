import type { SystemContentBlock } from "@aws-sdk/client-bedrock-runtime";
import type { SystemParam } from "../../../anthropic/schema.ts";
import { cachePointFor, withoutStrayCachePoints } from "./cache-points.ts";
import type { ConversionContext } from "./context.ts";
import { isBlank } from "./tool-results.ts";

/**
 * The system prompt as Converse system blocks: blank texts dropped (Bedrock refuses them),
 * cache_control as a cachePoint after its block. `extraTexts` (system messages found inside
 * `messages`) go last, after any cachePoint, so they never invalidate the cached prefix.
 */
export function toSystemBlocks(system: SystemParam | undefined, extraTexts: readonly string[], ctx: ConversionContext): SystemContentBlock[] {
  const blocks: SystemContentBlock[] = [];
  const parts = typeof system === "string" ? [{ text: system, cache_control: undefined }] : (system ?? []);
  parts.forEach((part, i) => {
    if (isBlank(part.text)) {
      ctx.debug(`system[${i}]: blank text dropped`);
      return;
    }
    blocks.push({ text: part.text });
    const cachePoint = cachePointFor(part.cache_control, ctx);
    if (cachePoint) blocks.push({ cachePoint });
  });
  for (const text of extraTexts) if (!isBlank(text)) blocks.push({ text });
  return withoutStrayCachePoints(blocks);
}
