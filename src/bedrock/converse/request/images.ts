import type { ImageBlock, ImageFormat } from "@aws-sdk/client-bedrock-runtime";
import type { ImageBlockParam } from "../../../anthropic/schema.ts";
import { ownEntry } from "../../../own-entry.ts";
import { unsupported, type ConversionContext } from "./context.ts";
import { bytesFromBase64 } from "../encoding.ts";

/**
 * Bedrock names formats by bare subtype, and only `jpeg`: a `jpg` anywhere would be refused
 * (docs/bedrock-protocol.md#p6-image-format).
 */
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
