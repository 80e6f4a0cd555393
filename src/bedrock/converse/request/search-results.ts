import type { SearchResultBlock } from "@aws-sdk/client-bedrock-runtime";
import type { ContentBlockParam } from "../../../anthropic/schema.ts";
import { isBlank } from "./dropped-blocks.ts";

type SearchResultBlockParam = Extract<ContentBlockParam, { type: "search_result" }>;

/** A search result with its blank texts left out (Bedrock refuses blank text); one without any is dropped before (dropped-blocks.ts). */
export function toSearchResultBlock(block: SearchResultBlockParam): SearchResultBlock {
  const content = block.content.filter((item) => !isBlank(item.text)).map((item) => ({ text: item.text }));
  const searchResult: SearchResultBlock = { source: block.source, title: block.title, content };
  if (citationsEnabled(block)) searchResult.citations = { enabled: true };
  return searchResult;
}

function citationsEnabled(block: SearchResultBlockParam): boolean {
  const citations: unknown = block["citations"];
  return typeof citations === "object" && citations !== null && "enabled" in citations && citations.enabled === true;
}
