import { invalidRequest } from "../../../anthropic/errors.ts";
import type { ContentBlockParam, DocumentBlockParam, ImageBlockParam, MessageParam, ToolResultBlockParam } from "../../../anthropic/schema.ts";

/** Converse's per-request document limit (images: `imageLimits` in images/request-images.ts), checked before anything is sent. */
export const maxDocuments = 5;

export interface RequestMedia {
  images: ImageBlockParam[];
  documents: DocumentBlockParam[];
}

/** Every image and document of the conversation, tool results included. */
export function collectMedia(messages: readonly MessageParam[]): RequestMedia {
  const media: RequestMedia = { images: [], documents: [] };
  const visit = (block: ContentBlockParam | ToolResultItem) => {
    if (block.type === "image") media.images.push(block);
    else if (block.type === "document") media.documents.push(block);
    else if (block.type === "tool_result" && Array.isArray(block.content)) block.content.forEach(visit);
  };
  for (const message of messages) if (Array.isArray(message.content)) message.content.forEach(visit);
  return media;
}

type ToolResultItem = Exclude<NonNullable<ToolResultBlockParam["content"]>, string>[number];

export function enforceMediaLimits(media: RequestMedia): void {
  if (media.documents.length > maxDocuments) {
    throw invalidRequest(`Too many documents: the request has ${media.documents.length}, Bedrock takes at most ${maxDocuments} per request`);
  }
}
