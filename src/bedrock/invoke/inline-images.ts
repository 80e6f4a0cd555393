import type { ContentBlockParam, ImageBlockParam, MessageParam, MessagesRequest } from "../../anthropic/schema.ts";
import { invalidRequest } from "../../anthropic/errors.ts";
import { type ImageFetcher, imageMediaType } from "../fetch-image.ts";

/**
 * Bedrock's Claude takes base64 image sources only: URL images (in messages and inside tool
 * results) are fetched once each and inlined before the body is sent.
 */
export async function inlineUrlImages(request: MessagesRequest, fetchImage: ImageFetcher): Promise<MessagesRequest> {
  const urls = new Set(request.messages.flatMap((m) => urlImagesOf(m.content)));
  if (urls.size === 0) return request;
  const fetched = new Map(await Promise.all([...urls].map(async (url) => [url, await fetchImage(url)] as const)));
  const inline = (block: ImageBlockParam): ImageBlockParam => {
    if (block.source.type !== "url") return block;
    const image = fetched.get(block.source.url);
    const mediaType = image && imageMediaType(image.mediaType);
    if (!image || !mediaType) throw invalidRequest(`The image at ${block.source.url} is not a supported image type`);
    return { ...block, source: { type: "base64", media_type: mediaType, data: Buffer.from(image.bytes).toString("base64") } };
  };
  const inlineBlock = (block: ContentBlockParam): ContentBlockParam => {
    if (block.type === "image") return inline(block);
    if (block.type === "tool_result" && Array.isArray(block.content)) return { ...block, content: block.content.map((inner) => (inner.type === "image" ? inline(inner) : inner)) };
    return block;
  };
  const messages = request.messages.map((m): MessageParam => (typeof m.content === "string" ? m : { ...m, content: m.content.map(inlineBlock) }));
  return { ...request, messages };
}

function urlImagesOf(content: MessageParam["content"]): string[] {
  if (typeof content === "string") return [];
  return content.flatMap((block) => {
    if (block.type === "image") return block.source.type === "url" ? [block.source.url] : [];
    if (block.type === "tool_result" && Array.isArray(block.content)) return urlImagesOf(block.content.filter((inner) => inner.type === "image"));
    return [];
  });
}
