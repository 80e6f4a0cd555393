/** Calling the conversion as the lead does, with debug notes collected for assertions. */
import type { MessagesRequest } from "../../../../src/anthropic/schema.ts";
import { messagesRequestSchema } from "../../../../src/anthropic/schema.ts";
import type { ResolvedModel } from "../../../../src/bedrock/models.ts";
import { toConverseRequest, type ConverseRequest } from "../../../../src/bedrock/converse/request/index.ts";
import type { FetchedImage } from "../../../../src/bedrock/images/fetch-image.ts";
import { createImageLoader } from "../../../../src/bedrock/images/request-images.ts";
import { claudeSonnet45 } from "./models.ts";

export interface Converted extends ConverseRequest {
  notes: string[];
}

export interface ConvertOptions {
  model?: ResolvedModel;
  betas?: string[];
  images?: Record<string, FetchedImage>;
}

/** Parses the body with the lead's schema first, so tests only send what the proxy would admit. */
export function parseRequest(body: Record<string, unknown>): MessagesRequest {
  return messagesRequestSchema.parse({ model: "claude-sonnet-4-5", max_tokens: 1024, ...body });
}

export async function convert(body: Record<string, unknown>, options: ConvertOptions = {}): Promise<Converted> {
  const notes: string[] = [];
  const result = await toConverseRequest(parseRequest(body), {
    model: options.model ?? claudeSonnet45,
    betas: options.betas ?? [],
    loadImages: createImageLoader({
      fetchImage: async (url) => {
        const image = options.images?.[url];
        if (!image) throw new Error(`unexpected fetch of ${url}`);
        return image;
      },
      maxFetchBytes: 3_750_000,
      maxRequestBytes: 32 * 1024 * 1024,
    }),
    debug: (message) => notes.push(message),
  });
  return { ...result, notes };
}

export const user = (content: unknown) => ({ role: "user", content });
export const assistant = (content: unknown) => ({ role: "assistant", content });
