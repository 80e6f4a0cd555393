/**
 * Golden tests for the request side, on the JSON the real Bedrock SDK puts on the wire:
 * - own requests (test/fixtures/converse/request) against `*.expected.json`;
 * - recorded Converse request bodies (ours, and the workspace's captures of real traffic when present),
 *   round-tripped: the Anthropic request behind each body, converted again, must give that body;
 * - Claude Code requests (ours, and the shared captures when present): Bedrock's rules hold on what
 *   we would send.
 */
import { describe, expect, test } from "bun:test";
import { basename, join } from "node:path";
import { mapBetas, parseBetaHeader } from "../../../../src/bedrock/betas.ts";
import { isAnthropicModel } from "../../../../src/bedrock/converse/request/context.ts";
import { bytesFromBase64 } from "../../../../src/bedrock/converse/encoding.ts";
import type { FetchedImage, ImageMediaType } from "../../../../src/bedrock/images/fetch-image.ts";
import type { ResolvedModel } from "../../../../src/bedrock/models.ts";
import { anthropicFromConverse, normalisedRecordedBody } from "../support/anthropic-from-converse.ts";
import { sentConverseBody } from "../support/bedrock-sdk.ts";
import { countCacheControl, expectBedrockRules } from "../support/bedrock-rules.ts";
import { convert } from "../support/convert.ts";
import { fixtureFiles, listFiles, readJson } from "../../../support/fixtures.ts";
import { converseFixtures, expectGolden } from "../support/fixtures.ts";
import { claudeSonnet45, claudeSonnet46, converseModel, qwen } from "../support/models.ts";

type Json = Record<string, unknown>;

interface OwnRequestFixture {
  model: { modelId: string; requested: string };
  betas: string[];
  images?: Record<string, { base64: string; mediaType: ImageMediaType }>;
  body: Json;
}

describe("golden: own requests", () => {
  const dir = join(converseFixtures, "request");
  for (const file of listFiles(dir, ".request.json")) {
    test(file, async () => {
      const fixture = readJson<OwnRequestFixture>(join(dir, file));
      const images: Record<string, FetchedImage> = Object.fromEntries(
        Object.entries(fixture.images ?? {}).map(([url, image]) => [url, { bytes: bytesFromBase64(image.base64), mediaType: image.mediaType }]),
      );
      const model = converseModel(fixture.model.modelId, fixture.model.requested);
      const { input, toolNames, notes } = await convert(fixture.body, { model, betas: fixture.betas, images });
      const wire = await sentConverseBody(input);
      expectGolden({ modelId: input.modelId, body: wire, renamedTools: toolNames.renamed(), debug: notes }, join(dir, file.replace(".request.json", ".expected.json")));
      // Only Claude caches tool definitions; other models get no cachePoint there.
      const toolCacheControls = isAnthropicModel(model) ? 0 : countCacheControl(fixture.body["tools"]);
      expectBedrockRules(wire, { cachePoints: model.profile.promptCaching ? countCacheControl(fixture.body) - toolCacheControls : 0 });
    });
  }
});

interface RecordedRequest {
  uri: string;
  body: string;
}

describe("golden: recorded Converse requests, round-tripped", () => {
  for (const name of ["bedrock-converse", "bedrock-converse-stream"]) {
    for (const path of fixtureFiles(name, ".request.json")) {
      test(`${name}/${basename(path)}`, async () => {
        const recorded = readJson<RecordedRequest>(path);
        const modelId = decodeURIComponent(/\/model\/([^/]+)\//.exec(recorded.uri)?.[1] ?? "");
        const body = JSON.parse(recorded.body) as Json;
        const { input } = await convert(anthropicFromConverse(body), { model: converseModel(modelId) });
        const wire = await sentConverseBody(input);
        const expected = normalisedRecordedBody(body);
        const inference = body["inferenceConfig"] as Json | undefined;
        if (inference?.["maxTokens"] !== undefined) expected["inferenceConfig"] = inference;
        const compared = Object.fromEntries(Object.keys(expected).map((key) => [key, wire[key]]));
        expect(compared).toEqual(expected);
        // What we add beyond the capture: max_tokens (always sent) and Claude's stop_sequence path.
        const extra = Object.keys(wire).filter((key) => !(key in expected));
        for (const key of extra) expect(["inferenceConfig", "additionalModelResponseFieldPaths"]).toContain(key);
      });
    }
  }
});

interface ClaudeCodeCapture {
  headers: Record<string, string>;
  body: Json | string;
}

describe("golden: Claude Code requests keep Bedrock's rules", () => {
  const files = [...fixtureFiles("claude-code", ".request.json"), ...fixtureFiles("claude-code", "-request.json")];
  const models: [string, ResolvedModel][] = [
    ["claude-sonnet-4-5 (budget thinking)", claudeSonnet45],
    ["claude-sonnet-4-6 (adaptive thinking)", claudeSonnet46],
    ["qwen (no Anthropic fields, no caching)", qwen],
  ];
  for (const path of new Set(files)) {
    for (const [label, model] of models) {
      test(`${basename(path)} on ${label}`, async () => {
        const capture = readJson<ClaudeCodeCapture>(path);
        const raw = (typeof capture.body === "string" ? JSON.parse(capture.body) : capture.body) as Json;
        // Whole, trailing system message included: convert() prepares it as the proxy does.
        const body = raw;
        const header = Object.entries(capture.headers).find(([key]) => key.toLowerCase() === "anthropic-beta")?.[1];
        const betas = mapBetas(parseBetaHeader(header), model.modelId).forwarded;
        const { input, toolNames } = await convert(body, { model, betas });
        const wire = await sentConverseBody(input);
        expectBedrockRules(wire, { cachePoints: model.profile.promptCaching ? countCacheControl(body) : 0 });
        expect(toolNames.renamed()).toEqual([]);
        const fields = (wire["additionalModelRequestFields"] ?? {}) as Json;
        if (model === qwen) {
          expect(wire["additionalModelRequestFields"]).toBeUndefined();
        } else {
          expect(fields["anthropic_beta"]).toEqual(betas.length > 0 ? betas : undefined);
          const thinking = raw["thinking"] as Json;
          if (thinking["type"] === "enabled") expect(fields["thinking"]).toEqual(thinking);
          // Adaptive thinking stays where the model takes it, otherwise prepareRequest gives it a budget.
          if (thinking["type"] === "adaptive") expect(fields["thinking"]).toEqual(model.profile.adaptiveThinking ? { type: "adaptive" } : { type: "enabled", budget_tokens: expect.any(Number) });
        }
        const requestMetadata = wire["requestMetadata"] as Record<string, string> | undefined;
        if (requestMetadata) expect(requestMetadata["user_id"]).toMatch(/^[a-zA-Z0-9\s:_@$#=/+,.-]{0,256}$/);
      });
    }
  }
});
