import { describe, expect, test } from "bun:test";
import { ApiError } from "../../../../src/anthropic/errors.ts";
import { imageFormatOf } from "../../../../src/bedrock/converse/request/images.ts";
import { legalDocumentName } from "../../../../src/bedrock/converse/request/document-names.ts";
import { assistant, convert, user } from "../support/convert.ts";
import { novaPro } from "../support/models.ts";

const png = (data = "iVBORw0K") => ({ type: "image", source: { type: "base64", media_type: "image/png", data } });
const pdf = (title?: string, extra: Record<string, unknown> = {}) => ({
  type: "document",
  source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" },
  ...(title === undefined ? {} : { title }),
  ...extra,
});
const textDocument = (data: string, extra: Record<string, unknown> = {}) => ({ type: "document", source: { type: "text", media_type: "text/plain", data }, ...extra });

describe("toConverseRequest: images", () => {
  test.each([
    ["image/png", "png"],
    ["image/jpeg", "jpeg"],
    ["image/jpg", "jpeg"],
    ["image/gif", "gif"],
    ["image/webp", "webp"],
    ["IMAGE/JPEG; charset=binary", "jpeg"],
    ["image/svg+xml", undefined],
  ])("media type %s → format %s", (mediaType, format) => {
    expect(imageFormatOf(mediaType)).toBe(format as ReturnType<typeof imageFormatOf>);
  });

  test("base64 images: format from media_type, bytes decoded", async () => {
    const { input } = await convert({ messages: [user([png("AQID"), { type: "text", text: "what is this?" }])] });
    expect(input.messages?.[0]?.content?.[0]).toEqual({ image: { format: "png", source: { bytes: new Uint8Array([1, 2, 3]) } } });
  });

  test("URL images are fetched through options.fetchImage; format from the fetched media type", async () => {
    const { input } = await convert(
      { messages: [user([{ type: "image", source: { type: "url", url: "https://img.test/a" } }, { type: "text", text: "?" }])] },
      { images: { "https://img.test/a": { bytes: new Uint8Array([9]), mediaType: "image/webp" } } },
    );
    expect(input.messages?.[0]?.content?.[0]).toEqual({ image: { format: "webp", source: { bytes: new Uint8Array([9]) } } });
  });

  test("a file source is a 400", async () => {
    const error = await convert({ messages: [user([{ type: "image", source: { type: "file", file_id: "file_1" } }])] }).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).message).toContain("is not supported for model");
  });

  test("images only in user turns", async () => {
    const error = await convert({ messages: [user("draw"), assistant([png()]), user("thanks")] }).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).message).toContain("only be in user messages");
  });

  test("at most 20 images per request (tool results included), before anything is fetched", async () => {
    const images = Array.from({ length: 20 }, () => png());
    await convert({ messages: [user([...images, { type: "text", text: "ok" }])] });
    let fetched = false;
    const error = await convert(
      { messages: [user([...images, { type: "image", source: { type: "url", url: "https://img.test/21" } }])] },
      { images: new Proxy({}, { get: () => ((fetched = true), undefined) }) },
    ).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).message).toContain("at most 20");
    expect(fetched).toBe(false);
  });

  test("image cache_control → cachePoint after the image", async () => {
    const { input } = await convert({ messages: [user([{ ...png(), cache_control: { type: "ephemeral" } }, { type: "text", text: "?" }])] });
    expect(input.messages?.[0]?.content?.map((block) => Object.keys(block)[0])).toEqual(["image", "cachePoint", "text"]);
  });
});

describe("toConverseRequest: documents", () => {
  test("PDF → document format pdf with bytes; title → a legal name", async () => {
    const { input } = await convert({ messages: [user([pdf("Q3 report: final.pdf"), { type: "text", text: "Summarise" }])] });
    expect(input.messages?.[0]?.content?.[0]).toEqual({
      document: { name: "Q3 report final pdf", format: "pdf", source: { bytes: new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31]) } },
    });
  });

  test("text documents → txt, as bytes; with citations as a text source and citations enabled", async () => {
    const { input } = await convert({
      messages: [user([textDocument("plain"), textDocument("cite me", { citations: { enabled: true }, context: "ctx" }), { type: "text", text: "?" }])],
    });
    expect(input.messages?.[0]?.content?.[0]).toEqual({ document: { name: "document-1", format: "txt", source: { bytes: new TextEncoder().encode("plain") } } });
    expect(input.messages?.[0]?.content?.[1]).toEqual({
      document: { name: "document-2", format: "txt", source: { text: "cite me" }, context: "ctx", citations: { enabled: true } },
    });
  });

  test("content documents → a content source of text blocks; images inside are a 400", async () => {
    const { input } = await convert({
      messages: [user([{ type: "document", source: { type: "content", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] } }, { type: "text", text: "?" }])],
    });
    expect(input.messages?.[0]?.content?.[0]?.document?.source).toEqual({ content: [{ text: "a" }, { text: "b" }] });
    const error = await convert({
      messages: [user([{ type: "document", source: { type: "content", content: [png()] } }, { type: "text", text: "?" }])],
    }).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(400);
  });

  test("URL and file document sources are 400s (dropping them would change the question)", async () => {
    for (const source of [{ type: "url", url: "https://doc.test/a.pdf" }, { type: "file", file_id: "file_1" }]) {
      const error = await convert({ messages: [user([{ type: "document", source }, { type: "text", text: "?" }])] }).catch((e: unknown) => e);
      expect((error as ApiError).status).toBe(400);
      expect((error as ApiError).message).toContain("is not supported for model claude-sonnet-4-5");
    }
  });

  test("names are unique per request, and documents without a usable title are document-N", async () => {
    const { input } = await convert({ messages: [user([pdf("Report"), pdf("report"), pdf("???"), pdf(), { type: "text", text: "?" }])] });
    expect(input.messages?.[0]?.content?.slice(0, 4).map((block) => block.document?.name)).toEqual(["Report", "report (2)", "document-3", "document-4"]);
  });

  test.each([
    ["a  b\t\nc", "a b c"],
    ["x/y_z.txt", "x y z txt"],
    ["[draft] (v2) - notes", "[draft] (v2) - notes"],
    ["ünïcödé", "n c d"],
  ])("legalDocumentName(%j) = %j", (title, name) => {
    const legal = legalDocumentName(title);
    expect(legal).toBe(name);
    expect(legal).toMatch(/^[a-zA-Z0-9\-()[\]]+( [a-zA-Z0-9\-()[\]]+)*$/);
  });

  test("a document with no text beside it gets one (its name) instead of a Bedrock error", async () => {
    const { input } = await convert({ messages: [user([pdf("Invoice")])] });
    expect(input.messages?.[0]?.content).toEqual([expect.objectContaining({ document: expect.anything() }), { text: "Invoice" }]);
  });

  test("citations and context are dropped (with a note) for models that are not Anthropic's", async () => {
    const { input, notes } = await convert(
      { messages: [user([textDocument("x", { citations: { enabled: true }, context: "c" }), { type: "text", text: "?" }])] },
      { model: novaPro },
    );
    expect(input.messages?.[0]?.content?.[0]?.document).toEqual({ name: "document-1", format: "txt", source: { bytes: new TextEncoder().encode("x") } });
    expect(notes.some((note) => note.includes("citations dropped"))).toBe(true);
  });

  test("at most 5 documents per request", async () => {
    const error = await convert({ messages: [user([...Array.from({ length: 6 }, () => pdf()), { type: "text", text: "?" }])] }).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).message).toContain("at most 5");
  });

  test("documents only in user turns", async () => {
    const error = await convert({ messages: [user("q"), assistant([pdf("x")]), user("ok")] }).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(400);
  });
});
