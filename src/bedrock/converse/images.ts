import type { ImageBlock, ImageFormat } from "@aws-sdk/client-bedrock-runtime";
import { invalidRequest } from "../../anthropic/errors.ts";
import type { ImageBlockParam } from "../../anthropic/schema.ts";
import { ownEntry } from "../../own-entry.ts";
import { unsupported, type ConversionContext } from "./context.ts";
import { bytesFromBase64 } from "./encoding.ts";
import type { FetchedImage, ImageFetcher } from "../fetch-image.ts";

/** Bedrock names formats by bare subtype, and only `jpeg`: a `jpg` anywhere would be refused (pitfall 6). */
const formatByMediaType: Record<string, ImageFormat> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/pjpeg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};

/** The Converse image format for a media type (parameters such as `; charset` ignored). */
export function imageFormatOf(mediaType: string): ImageFormat | undefined {
  const bare = mediaType.split(";")[0]?.trim().toLowerCase() ?? "";
  return ownEntry(formatByMediaType, bare);
}

/**
 * Fetches every URL image of the request once, in parallel, before conversion; a media type Bedrock
 * cannot take is the client's 400, named with its URL.
 */
export async function fetchImages(urls: Iterable<string>, fetchImage: ImageFetcher): Promise<Map<string, FetchedImage>> {
  const unique = [...new Set(urls)];
  const fetched = await Promise.all(unique.map(async (url) => [url, await fetchImage(url)] as const));
  for (const [url, image] of fetched) {
    if (!imageFormatOf(image.mediaType)) {
      throw invalidRequest(
        `The image at ${url} has media type ${image.mediaType || "(none)"}; supported image types are image/jpeg, image/png, image/gif and image/webp`,
      );
    }
  }
  return new Map(fetched);
}

export function toImageBlock(source: ImageBlockParam["source"], ctx: ConversionContext): ImageBlock {
  switch (source.type) {
    case "base64": {
      // The schema admits only the four media types, all of which have a format.
      const format = imageFormatOf(source.media_type) ?? "png";
      return { format, source: { bytes: bytesFromBase64(source.data) } };
    }
    case "url": {
      const image = ctx.images.get(source.url);
      const format = image && imageFormatOf(image.mediaType);
      if (!image || !format) throw new Error(`image ${source.url} was not fetched before conversion`);
      return { format, source: { bytes: image.bytes } };
    }
    case "file":
      throw unsupported(ctx.model, "An image `file` source (Files API)");
  }
}
