import { ApiError, invalidRequest } from "../anthropic/errors.ts";

/**
 * Bedrock takes image bytes only, so URL images are fetched here: with a timeout, a size cap read
 * as the body streams in (a lying or absent content-length cannot exhaust memory), and only
 * http(s) URLs.
 */

export interface FetchedImage {
  bytes: Uint8Array;
  mediaType: string;
}

export function createImageFetcher(limits: { timeoutMs: number; maxBytes: number }) {
  return async function fetchImage(url: string): Promise<FetchedImage> {
    if (!/^https?:\/\//i.test(url)) throw invalidRequest(`Image URL must be http or https: ${url}`);
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(limits.timeoutMs), redirect: "follow" });
    } catch (error) {
      throw invalidRequest(`Could not fetch image ${url}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!response.ok) throw invalidRequest(`Could not fetch image ${url}: HTTP ${response.status}`);
    const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    return { bytes: await readCapped(response, limits.maxBytes, url), mediaType };
  };
}

async function readCapped(response: Response, maxBytes: number, url: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > maxBytes) throw tooLarge(url, maxBytes);
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
