import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { ApiError, invalidRequest } from "../../anthropic/errors.ts";
import { imageMediaTypes } from "../../anthropic/schema.ts";
import type { Logger } from "../../../lib/log.ts";
import { isPublicAddress } from "./address-policy.ts";
import type { AllowHosts } from "./allow-hosts.ts";
import type { ByteBudget } from "./byte-budget.ts";
import { requestPinned } from "./pinned-request.ts";
import type { HostResolver } from "./resolve-host.ts";

/**
 * Bedrock takes image bytes only, so URL images are fetched here, and only from where a stranger's
 * URL may lead: http(s) without credentials, to a public address (or one the operator allowed),
 * decided on the address connected to. Redirects are followed by hand, each hop checked the same way.
 * Every refusal and every failure is the same 400, so the answers cannot map what is behind the
 * proxy (a closed port, Redis, a TLS service, the admin API); the reason goes to the log.
 */

export type ImageMediaType = (typeof imageMediaTypes)[number];

export interface FetchedImage {
  bytes: Uint8Array;
  mediaType: ImageMediaType;
}

export interface ImageFetchLimits {
  /** Bytes this image may hold. */
  maxBytes: number;
  /** The request's decoded image bytes, drawn on as the body streams in. */
  budget: ByteBudget;
  signal: AbortSignal;
}

export type ImageFetcher = (url: string, limits: ImageFetchLimits) => Promise<FetchedImage>;

export interface ImageFetcherOptions {
  timeoutMs: number;
  allowHosts: AllowHosts;
  resolve: HostResolver;
  log: Logger;
}

/** Redirects followed per image; one more is a refusal. */
export const maxRedirects = 3;

export function couldNotFetch(url: string): ApiError {
  return invalidRequest(
    `Could not fetch the image at ${url}: it must be a public http(s) URL without credentials that answers, within ${maxRedirects} redirects, with a JPEG, PNG, GIF or WebP image within the size limit`,
  );
}

/** What the log says about a refusal; never shown to the client. */
class Refusal extends Error {}

export function createImageFetcher(options: ImageFetcherOptions): ImageFetcher {
  return async function fetchImage(url, limits) {
    const signal = AbortSignal.any([limits.signal, AbortSignal.timeout(options.timeoutMs)]);
    try {
      return await fetchFollowing(url, limits, signal, options);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      options.log.info("image fetch refused", { url, reason: error instanceof Error ? error.message : String(error) });
      throw couldNotFetch(url);
    }
  };
}

async function fetchFollowing(url: string, limits: ImageFetchLimits, signal: AbortSignal, options: ImageFetcherOptions): Promise<FetchedImage> {
  let target = parseUrl(url);
  for (let hop = 0; ; hop++) {
    const response = await requestChecked(target, signal, options);
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location !== undefined) {
      response.destroy();
      if (hop === maxRedirects) throw new Refusal(`more than ${maxRedirects} redirects`);
      target = parseUrl(response.headers.location, target);
      continue;
    }
    if (status < 200 || status >= 300) throw closing(response, `HTTP ${status}`);
    const mediaType = imageMediaType(response.headers["content-type"] ?? null);
    if (!mediaType) throw closing(response, `media type ${response.headers["content-type"] ?? "(none)"}`);
    return { bytes: await readCapped(response, limits), mediaType };
  }
}

function parseUrl(url: string, base?: URL): URL {
  const parsed = URL.parse(url, base);
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) throw new Refusal("not an http(s) URL");
  if (parsed.username !== "" || parsed.password !== "") throw new Refusal("credentials in the URL");
  return parsed;
}

/** Resolves the host once, checks every address, then connects to a checked one only. */
async function requestChecked(url: URL, signal: AbortSignal, options: ImageFetcherOptions): Promise<IncomingMessage> {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const addresses = isIP(host) ? [host] : await untilAborted(options.resolve(host), signal);
  const refused = addresses.find((address) => !isPublicAddress(address) && !options.allowHosts.allows(host, address));
  const [first, ...rest] = addresses;
  if (first === undefined || refused !== undefined) throw new Refusal(`${host} resolves to ${refused ?? "nothing"}`);
  return requestPinned(url, [first, ...rest], signal);
}

/** A resolver has no signal of its own: a slow DNS answer must not outlive the fetch's timeout. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) return abort();
    signal.addEventListener("abort", abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

function closing(response: IncomingMessage, reason: string): Refusal {
  response.destroy();
  return new Refusal(reason);
}

/** The Anthropic image media type a content type names, if any. */
export function imageMediaType(contentType: string | null): ImageMediaType | undefined {
  const bare = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const normalised = bare === "image/jpg" || bare === "image/pjpeg" ? "image/jpeg" : bare;
  return imageMediaTypes.find((t) => t === normalised);
}

/** Reads the body against the image's cap and the request's budget as it streams: a lying or absent content-length cannot exhaust memory. */
async function readCapped(response: IncomingMessage, limits: ImageFetchLimits): Promise<Uint8Array> {
  const declared = Number(response.headers["content-length"] ?? 0);
  if (declared > limits.maxBytes) throw closing(response, `content-length ${declared} over ${limits.maxBytes}`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > limits.maxBytes) throw new Refusal(`body over ${limits.maxBytes} bytes`);
      limits.budget.take(chunk.byteLength);
      chunks.push(chunk);
    }
  } finally {
    response.destroy();
  }
  return Buffer.concat(chunks);
}
