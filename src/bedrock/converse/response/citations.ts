import type { CitationLocation } from "@aws-sdk/client-bedrock-runtime";
import type { Citation } from "../../../anthropic/messages.ts";

/** What non-stream `Citation`s and streamed `CitationsDelta`s share. */
export interface BedrockCitation {
  title?: string | undefined;
  source?: string | undefined;
  sourceContent?: { text?: string | undefined }[] | undefined;
  location?: CitationLocation | undefined;
}

/**
 * A Bedrock citation in Anthropic's shape: the location kind picks the citation type, indexes pass
 * through (Bedrock relays Claude's own numbers: pages 1-based with an exclusive end, as Anthropic's).
 * A location this code does not know gives no citation rather than a wrong one.
 */
export function toAnthropicCitation(citation: BedrockCitation): Citation | undefined {
  const cited_text = (citation.sourceContent ?? []).map((part) => part.text ?? "").join("");
  const document_title = citation.title ?? null;
  const location = citation.location;
  if (location?.documentChar) {
    const { documentIndex, start, end } = location.documentChar;
    return { type: "char_location", cited_text, document_index: documentIndex ?? 0, document_title, start_char_index: start ?? 0, end_char_index: end ?? 0 };
  }
  if (location?.documentPage) {
    const { documentIndex, start, end } = location.documentPage;
    return { type: "page_location", cited_text, document_index: documentIndex ?? 0, document_title, start_page_number: start ?? 1, end_page_number: end ?? 1 };
  }
  if (location?.documentChunk) {
    const { documentIndex, start, end } = location.documentChunk;
    return { type: "content_block_location", cited_text, document_index: documentIndex ?? 0, document_title, start_block_index: start ?? 0, end_block_index: end ?? 0 };
  }
  if (location?.searchResultLocation) {
    const { searchResultIndex, start, end } = location.searchResultLocation;
    return {
      type: "search_result_location",
      cited_text,
      search_result_index: searchResultIndex ?? 0,
      source: citation.source ?? "",
      title: document_title,
      start_block_index: start ?? 0,
      end_block_index: end ?? 0,
    };
  }
  if (location?.web) {
    return { type: "web_search_result_location", cited_text, url: location.web.url ?? "", title: document_title, encrypted_index: "" };
  }
  return undefined;
}
