import { type ApiError, invalidRequest } from "../anthropic/errors.ts";
import { imageMediaTypes } from "../anthropic/schema.ts";

/**
 * Bedrock takes image bytes only, so URL images are fetched here: with a timeout, a size cap read
 * as the body streams in (a lying or absent content-length cannot exhaust memory), only http(s)
 * URLs, and only the image types Anthropic and Bedrock both take.
 */

export type ImageMediaType = (typeof imageMediaTypes)[number];

export interface FetchedImage {
  bytes: Uint8Array;
  /** One of Anthropic's image media types when it comes from `createImageFetcher`. */
  mediaType: string;
}

export type ImageFetcher = (url: string) => Promise<FetchedImage>;

export function createImageFetcher(limits: { timeoutMs: number; maxBytes: number }): ImageFetcher {
  return async function fetchImage(url) {
    if (!/^https?:\/\//i.test(url)) throw invalidRequest(`Image URL must be http or https: ${url}`);
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(limits.timeoutMs), redirect: "follow" });
    } catch (error) {
      throw invalidRequest(`Could not fetch image ${url}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!response.ok) throw invalidRequest(`Could not fetch image ${url}: HTTP ${response.status}`);
    const mediaType = imageMediaType(response.headers.get("content-type"));
    if (!mediaType) {
      await response.body?.cancel();
      throw invalidRequest(`The image at ${url} has media type ${response.headers.get("content-type") ?? "(none)"}; supported image types are ${imageMediaTypes.join(", ")}`);
    }
    return { bytes: await readCapped(response, limits.maxBytes, url), mediaType };
  };
}

/** The Anthropic image media type a content type names, if any. */
export function imageMediaType(contentType: string | null): ImageMediaType | undefined {
  const bare = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const normalised = bare === "image/jpg" || bare === "image/pjpeg" ? "image/jpeg" : bare;
  return imageMediaTypes.find((t) => t === normalised);
}

async function readCapped(response: Response, maxBytes: number, url: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(url, maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge(url, maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function tooLarge(url: string, maxBytes: number): ApiError {
  return invalidRequest(`Image at ${url} is larger than the ${maxBytes}-byte limit`);
}
