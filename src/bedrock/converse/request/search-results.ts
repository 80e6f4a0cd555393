import type { SearchResultBlock } from "@aws-sdk/client-bedrock-runtime";
import type { ContentBlockParam } from "../../../anthropic/schema.ts";
import type { ConversionContext } from "./context.ts";

type SearchResultBlockParam = Extract<ContentBlockParam, { type: "search_result" }>;

/** A search result without any non-blank text says nothing: dropped (Bedrock refuses blank text). */
export function toSearchResultBlock(block: SearchResultBlockParam, ctx: ConversionContext): SearchResultBlock | undefined {
  const content = block.content.filter((item) => item.text.trim().length > 0).map((item) => ({ text: item.text }));
  if (content.length === 0) {
    ctx.debug(`search_result "${block.title}" dropped: it has no text`);
    return undefined;
  }
  const searchResult: SearchResultBlock = { source: block.source, title: block.title, content };
  if (citationsEnabled(block)) searchResult.citations = { enabled: true };
  return searchResult;
}

function citationsEnabled(block: SearchResultBlockParam): boolean {
  const citations: unknown = block["citations"];
  return typeof citations === "object" && citations !== null && "enabled" in citations && citations.enabled === true;
}
