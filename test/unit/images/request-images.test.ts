import { describe, expect, test } from "bun:test";
import { ApiError } from "../../../src/anthropic/errors.ts";
import type { ImageBlockParam } from "../../../src/anthropic/schema.ts";
import type { ImageFetcher } from "../../../src/bedrock/images/fetch-image.ts";
import { createImageLoader, decodedLength, imageLimits } from "../../../src/bedrock/images/request-images.ts";

/** The checks a request's images pass before anything is fetched, on both routes; the fetcher here only counts. */

const base64Image = (bytes: number): ImageBlockParam => ({ type: "image", source: { type: "base64", media_type: "image/png", data: Buffer.alloc(bytes).toString("base64") } });
const urlImage = (url: string): ImageBlockParam => ({ type: "image", source: { type: "url", url } });

function counting(bytes = 10) {
  const fetched: string[] = [];
  const fetchImage: ImageFetcher = async (url, limits) => {
    fetched.push(url);
    limits.budget.take(bytes);
    return { bytes: new Uint8Array(bytes), mediaType: "image/png" };
  };
  return { fetched, fetchImage };
}

const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => (error instanceof ApiError ? `${error.status} ${error.message}` : String(error)));

describe("createImageLoader", () => {
  test("one table: Anthropic's limits on InvokeModel, Bedrock's on Converse", () => {
    expect(imageLimits).toEqual({ invoke: { maxImages: 100, maxImageBytes: 5_242_880 }, converse: { maxImages: 20, maxImageBytes: 3_750_000 } });
  });

  for (const route of ["invoke", "converse"] as const) {
    const { maxImages, maxImageBytes } = imageLimits[route];

    test(`${route}: a base64 image is measured decoded against ${maxImageBytes} bytes`, async () => {
      const load = createImageLoader({ fetchImage: undefined, maxFetchBytes: 10_000_000, maxRequestBytes: 32 * 1024 * 1024 });
      expect(await load([base64Image(maxImageBytes)], route)).toEqual(new Map());
      expect(await refusal(load([base64Image(1), base64Image(maxImageBytes + 1)], route))).toBe(
        `400 Image 2 holds ${maxImageBytes + 1} bytes; the limit is ${maxImageBytes} bytes per image for this model`,
      );
    });

    test(`${route}: the count covers every source, checked before any fetch`, async () => {
      const { fetched, fetchImage } = counting();
      const load = createImageLoader({ fetchImage, maxFetchBytes: 1_000, maxRequestBytes: 1_000_000 });
      const images = [...Array.from({ length: maxImages }, () => base64Image(1)), urlImage("https://img.test/one-too-many")];
      expect(await refusal(load(images, route))).toContain(`at most ${maxImages}`);
      expect(fetched).toEqual([]);
    });

    test(`${route}: the operator's cap applies under the route's own`, async () => {
      const caps: number[] = [];
      const load = createImageLoader({ fetchImage: async (_url, limits) => (caps.push(limits.maxBytes), { bytes: new Uint8Array(1), mediaType: "image/png" }), maxFetchBytes: 1_000, maxRequestBytes: 1_000_000 });
      await load([urlImage("https://img.test/a")], route);
      const generous = createImageLoader({ fetchImage: async (_url, limits) => (caps.push(limits.maxBytes), { bytes: new Uint8Array(1), mediaType: "image/png" }), maxFetchBytes: 50_000_000, maxRequestBytes: 1_000_000 });
      await generous([urlImage("https://img.test/a")], route);
      expect(caps).toEqual([1_000, maxImageBytes]);
    });
  }

  test("a URL named twice is fetched once but counted twice against the request's bytes", async () => {
    const { fetched, fetchImage } = counting(400);
    const load = createImageLoader({ fetchImage, maxFetchBytes: 1_000, maxRequestBytes: 1_000 });
    expect((await load([urlImage("https://img.test/a"), urlImage("https://img.test/a")], "invoke")).size).toBe(1);
    expect(fetched).toEqual(["https://img.test/a"]);
    expect(await refusal(load([urlImage("https://img.test/b"), urlImage("https://img.test/b"), urlImage("https://img.test/b")], "invoke"))).toContain("MAX_REQUEST_BYTES");
  });

  test("base64 bytes leave less for fetched ones; over the total nothing more is fetched", async () => {
    const { fetched, fetchImage } = counting(400);
    const load = createImageLoader({ fetchImage, maxFetchBytes: 1_000, maxRequestBytes: 1_000 });
    expect(await refusal(load([base64Image(1_001), urlImage("https://img.test/a")], "converse"))).toContain("MAX_REQUEST_BYTES");
    expect(fetched).toEqual([]);
    const urls = Array.from({ length: 10 }, (_, i) => urlImage(`https://img.test/${i}`));
    expect(await refusal(load([base64Image(500), ...urls], "converse"))).toContain("MAX_REQUEST_BYTES");
    expect(fetched.length).toBeLessThan(10);
  });

  test("IMAGE_FETCH=off: URL images are refused, base64 ones pass", async () => {
    const load = createImageLoader({ fetchImage: undefined, maxFetchBytes: 1_000, maxRequestBytes: 1_000 });
    expect(await load([base64Image(10)], "invoke")).toEqual(new Map());
    expect(await refusal(load([urlImage("https://img.test/a")], "invoke"))).toBe("400 URL image sources are not enabled on this proxy (IMAGE_FETCH=off): send images as base64");
  });

  test.each([["", 0], ["QQ==", 1], ["QUI=", 2], ["QUJD", 3], [Buffer.alloc(1234).toString("base64"), 1234]])("decodedLength(%p) = %p", (text, bytes) => {
    expect(decodedLength(text)).toBe(bytes);
  });
});
