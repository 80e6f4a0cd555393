/**
 * Calling the conversion as the proxy does: the request prepared for its model (system messages
 * folded, turns merged, what the model cannot take dropped), then converted, with the converter's
 * debug notes collected for assertions.
 */
import type { CountTokensInput } from "@aws-sdk/client-bedrock-runtime";
import type { MessagesRequest } from "../../../../src/anthropic/schema.ts";
import { countTokensRequestSchema, messagesRequestSchema } from "../../../../src/anthropic/schema.ts";
import type { ResolvedModel } from "../../../../src/bedrock/models.ts";
import { prepareCountTokens, prepareRequest, type PreparedRequest } from "../../../../src/bedrock/prepare.ts";
import { toConverseRequest, toCountTokensInput, type ConversionOptions, type ConverseRequest } from "../../../../src/bedrock/converse/request/index.ts";
import type { FetchedImage } from "../../../../src/bedrock/images/fetch-image.ts";
import { createImageLoader } from "../../../../src/bedrock/images/request-images.ts";
import { createLogger } from "../../../../lib/log.ts";
import { claudeSonnet45 } from "./models.ts";

export interface Converted extends ConverseRequest {
  notes: string[];
}

export interface ConvertOptions {
  model?: ResolvedModel;
  /** Betas as if forwarded: the Converse route forwards none, so only Claude-on-Converse tests set them. */
  betas?: string[];
  images?: Record<string, FetchedImage>;
}

const log = createLogger("error");

/** Parses the body with the proxy's schema first, so tests only send what the proxy would admit. */
export function parseRequest(body: Record<string, unknown>): MessagesRequest {
  return messagesRequestSchema.parse({ model: "claude-sonnet-4-5", max_tokens: 1024, ...body });
}

export async function convert(body: Record<string, unknown>, options: ConvertOptions = {}): Promise<Converted> {
  const prepared = prepareRequest(parseRequest(body), options.model ?? claudeSonnet45, [], log);
  const notes: string[] = [];
  const result = await toConverseRequest(withBetas(prepared, options), conversionOptions(options, notes));
  return { ...result, notes };
}

/** count_tokens as the proxy prepares and converts it. */
export async function convertCount(body: Record<string, unknown>, options: ConvertOptions = {}): Promise<CountTokensInput.ConverseMember> {
  const request = countTokensRequestSchema.parse({ model: "claude-sonnet-4-5", ...body });
  const prepared = prepareCountTokens(request, options.model ?? claudeSonnet45, [], log);
  return toCountTokensInput(withBetas(prepared, options), conversionOptions(options, []));
}

function withBetas(prepared: PreparedRequest, options: ConvertOptions): PreparedRequest {
  return options.betas ? { ...prepared, betas: { forwarded: options.betas, dropped: [] } } : prepared;
}

function conversionOptions(options: ConvertOptions, notes: string[]): ConversionOptions {
  return {
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
  };
}

export const user = (content: unknown) => ({ role: "user", content });
export const assistant = (content: unknown) => ({ role: "assistant", content });
