import type { DocumentBlock, DocumentContentBlock } from "@aws-sdk/client-bedrock-runtime";
import type { DocumentBlockParam } from "../../../anthropic/schema.ts";
import { unsupported, type ConversionContext } from "./context.ts";
import { bytesFromBase64, utf8Bytes } from "../encoding.ts";

export function toDocumentBlock(block: DocumentBlockParam, ctx: ConversionContext): DocumentBlock {
  const name = ctx.documents.name(block.title);
  const citationsAsked = block.citations?.enabled === true;
  // Only Claude cites documents (and takes `context`); other models are sent the document alone. Claude
  // reaches this converter only in the golden tests (see ConversionContext.anthropic).
  const citations = citationsAsked && ctx.anthropic;
  if (citationsAsked && !citations) ctx.debug(`document "${name}": citations dropped, model ${ctx.model.requested} does not produce them`);
  const document: DocumentBlock = { name, ...documentContent(block.source, citations, ctx) };
  if (block.context) {
    if (ctx.anthropic) document.context = block.context;
    else ctx.debug(`document "${name}": \`context\` dropped, model ${ctx.model.requested} does not take it`);
  }
  if (citations) document.citations = { enabled: true };
  return document;
}

function documentContent(
  source: DocumentBlockParam["source"],
  citations: boolean,
  ctx: ConversionContext,
): Pick<DocumentBlock, "format" | "source"> {
  switch (source.type) {
    case "base64":
      return { format: "pdf", source: { bytes: bytesFromBase64(source.data) } };
    case "text":
      // Plain bytes is what every Converse model takes; the `text` source is what Claude needs to cite
      // character ranges, so it is used only when citations are asked for.
      return { format: "txt", source: citations ? { text: source.data } : { bytes: utf8Bytes(source.data) } };
    case "content":
      return { format: "txt", source: { content: contentDocumentBlocks(source.content, ctx) } };
    case "url":
      throw unsupported(ctx.model, "A document `url` source");
    case "file":
      throw unsupported(ctx.model, "A document `file` source (Files API)");
  }
}

function contentDocumentBlocks(
  content: Extract<DocumentBlockParam["source"], { type: "content" }>["content"],
  ctx: ConversionContext,
): DocumentContentBlock[] {
  if (typeof content === "string") return [{ text: content }];
  return content.map((item) => {
    // Converse documents hold text only; silently losing an image would change what the model sees.
    if (item.type === "image") throw unsupported(ctx.model, "An image inside a `content` document");
    return { text: item.text };
  });
}
