import { invalidRequest } from "../../anthropic/errors.ts";
import type { ImageBlockParam } from "../../anthropic/schema.ts";
import type { Route } from "../models.ts";
import { ByteBudget } from "./byte-budget.ts";
import type { FetchedImage, ImageFetcher } from "./fetch-image.ts";

/**
 * A request's images, checked against the limits of the API that will take them before anything is
 * fetched: how many, how large each (decoded, base64 or fetched), and how many bytes in all (the
 * request's `MAX_REQUEST_BYTES`, so fetching cannot grow a request past what its body could hold).
 */

interface ImageLimits {
  maxImages: number;
  maxImageBytes: number;
}

/** One table for both paths. */
export const imageLimits: Record<Route, ImageLimits> = {
  /** Anthropic's Messages API (InvokeModel takes Claude's own body): 100 images, 5 MB each. */
  invoke: { maxImages: 100, maxImageBytes: 5 * 1024 * 1024 },
  /** Bedrock's Converse `Message`: 20 images, 3.75 MB each. */
  converse: { maxImages: 20, maxImageBytes: 3_750_000 },
};

/** URL images fetched at once per request: enough to hide latency, too few to flood anything. */
export const fetchConcurrency = 4;

export interface ImageLoaderOptions {
  /** Undefined when `IMAGE_FETCH=off`. */
  fetchImage: ImageFetcher | undefined;
  /** `IMAGE_FETCH_MAX_BYTES`: the operator's cap per fetched image, under the route's own. */
  maxFetchBytes: number;
  /** `MAX_REQUEST_BYTES`: the decoded bytes all of a request's images may hold. */
  maxRequestBytes: number;
}

/** Checks a request's images and fetches its URL images, each URL once; throws the client's 400. */
export type ImageLoader = (images: readonly ImageBlockParam[], route: Route) => Promise<Map<string, FetchedImage>>;

export function createImageLoader(options: ImageLoaderOptions): ImageLoader {
  return async (images, route) => {
    const limits = imageLimits[route];
    if (images.length > limits.maxImages) {
      throw invalidRequest(`Too many images: the request has ${images.length}, at most ${limits.maxImages} are allowed per request for this model`);
    }
    const budget = new ByteBudget(options.maxRequestBytes, () =>
      invalidRequest(`The request's images hold more than ${options.maxRequestBytes} bytes once decoded (the proxy's MAX_REQUEST_BYTES)`),
    );
    drawBase64(images, limits, budget);
    const urls = urlUses(images);
    if (urls.size === 0) return new Map();
    const fetchImage = options.fetchImage;
    if (!fetchImage) throw invalidRequest("URL image sources are not enabled on this proxy (IMAGE_FETCH=off): send images as base64");
    const maxBytes = Math.min(options.maxFetchBytes, limits.maxImageBytes);
    const fetched = await mapBounded([...urls], fetchConcurrency, async ([url, uses], signal) => {
      const image = await fetchImage(url, { maxBytes, budget, signal });
      // Each block that names the URL carries the bytes again.
      budget.take(image.bytes.byteLength * (uses - 1));
      return [url, image] as const;
    });
    return new Map(fetched);
  };
}

/** Each base64 image against the per-image limit, and all of them against the request's budget. */
function drawBase64(images: readonly ImageBlockParam[], limits: ImageLimits, budget: ByteBudget): void {
  images.forEach((image, index) => {
    if (image.source.type !== "base64") return;
    const size = decodedLength(image.source.data);
    if (size > limits.maxImageBytes) throw invalidRequest(`Image ${index + 1} holds ${size} bytes; the limit is ${limits.maxImageBytes} bytes per image for this model`);
    budget.take(size);
  });
}

/** Each URL with the number of blocks that name it. */
function urlUses(images: readonly ImageBlockParam[]): Map<string, number> {
  const uses = new Map<string, number>();
  for (const { source } of images) if (source.type === "url") uses.set(source.url, (uses.get(source.url) ?? 0) + 1);
  return uses;
}

/** The bytes a base64 text decodes to (at most), without decoding it. */
export function decodedLength(base64: string): number {
  let end = base64.length;
  while (end > 0 && base64[end - 1] === "=") end--;
  return Math.floor((end * 3) / 4);
}

/**
 * `work` on every item, at most `limit` at a time, in order. The first failure rejects at once and
 * aborts the work still running, so nothing more is fetched for a request that has already failed.
 */
async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T, signal: AbortSignal) => Promise<R>): Promise<R[]> {
  const controller = new AbortController();
  const results: R[] = [];
  // One iterator shared by the workers: each item is taken once.
  const queue = items.entries();
  const worker = async () => {
    for (const [index, item] of queue) {
      if (controller.signal.aborted) return;
      results[index] = await work(item, controller.signal);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
  } finally {
    controller.abort();
  }
}
