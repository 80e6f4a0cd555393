import type { ContentBlockParam, ImageBlockParam, MessageParam } from "../../anthropic/schema.ts";
import { base64FromBytes } from "../converse/encoding.ts";
import type { ImageLoader } from "../images/request-images.ts";
import type { PreparedMessagesRequest, Turn } from "../prepare.ts";

/**
 * Bedrock's Claude takes base64 image sources only: the request's images (in messages and inside
 * tool results) are checked against Anthropic's limits, and URL images are fetched once each and
 * inlined before the body is sent.
 */
export async function inlineUrlImages(request: PreparedMessagesRequest, loadImages: ImageLoader): Promise<PreparedMessagesRequest> {
  const fetched = await loadImages(request.messages.flatMap((m) => imagesOf(m.content)), "invoke");
  if (fetched.size === 0) return request;
  const sources = new Map<string, ImageBlockParam["source"]>();
  for (const [url, image] of fetched) sources.set(url, { type: "base64", media_type: image.mediaType, data: base64FromBytes(image.bytes) });
  const inline = (block: ImageBlockParam): ImageBlockParam =>
    block.source.type === "url" ? { ...block, source: sources.get(block.source.url) ?? block.source } : block;
  const inlineBlock = (block: ContentBlockParam): ContentBlockParam => {
    if (block.type === "image") return inline(block);
    if (block.type === "tool_result" && Array.isArray(block.content)) return { ...block, content: block.content.map((inner) => (inner.type === "image" ? inline(inner) : inner)) };
    return block;
  };
  const messages = request.messages.map((m): Turn => (typeof m.content === "string" ? m : { ...m, content: m.content.map(inlineBlock) }));
  return { ...request, messages };
}

function imagesOf(content: MessageParam["content"]): ImageBlockParam[] {
  if (typeof content === "string") return [];
  return content.flatMap((block) => {
    if (block.type === "image") return [block];
    if (block.type === "tool_result" && Array.isArray(block.content)) return block.content.filter((inner) => inner.type === "image");
    return [];
  });
}
