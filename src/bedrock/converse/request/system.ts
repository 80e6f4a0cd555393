import type { SystemContentBlock } from "@aws-sdk/client-bedrock-runtime";
import type { SystemParam } from "../../../anthropic/schema.ts";
import { cachePointFor, withoutStrayCachePoints } from "./cache-points.ts";
import type { ConversionContext } from "./context.ts";
import { isBlank } from "./dropped-blocks.ts";

/**
 * The system prompt as Converse system blocks: blank texts dropped (Bedrock refuses them),
 * cache_control as a cachePoint after its block.
 */
export function toSystemBlocks(system: SystemParam | undefined, ctx: ConversionContext): SystemContentBlock[] {
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
  return withoutStrayCachePoints(blocks);
}
