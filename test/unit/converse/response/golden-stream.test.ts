/**
 * Golden tests: recorded ConverseStream sequences, run through the real Bedrock SDK, our translator and
 * the real Anthropic SDK. Own fixtures (test/fixtures/converse/stream) are compared event by event with
 * `*.expected.json`; recorded raw streams (ours in test/fixtures/bedrock-converse-stream, and the
 * workspace's captures when present, see test/support/fixtures.ts) with a content-free outline.
 * `UPDATE_GOLDEN=1 bun test test/unit/converse` rewrites the golden files.
 */
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import type { ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import type { StreamEvent } from "../../../../src/anthropic/messages.ts";
import { ConverseStreamTranslator } from "../../../../src/bedrock/converse/response/stream.ts";
import { ToolNameMap } from "../../../../src/bedrock/converse/tool-names.ts";
import { finalMessageFromSdk } from "../support/anthropic-sdk.ts";
import { streamThroughSdk } from "../support/bedrock-sdk.ts";
import { fixtureFiles, listFiles, readJson } from "../../../support/fixtures.ts";
import { converseFixtures, expectGolden, upstreamBytes } from "../support/fixtures.ts";
import { expectedContent } from "../support/oracle.ts";
import { outline } from "../support/skeleton.ts";
import { expectWellFormedStream } from "../support/stream-invariants.ts";

interface FixtureMeta {
  clientToolNames?: string[];
  stopSequences?: string[];
}

const captureSuffix = /\.(chunks|decoded)\.jsonl$/;

async function translate(path: string) {
  const metaPath = path.replace(captureSuffix, ".meta.json");
  const meta: FixtureMeta = existsSync(metaPath) ? readJson(metaPath) : {};
  const toolNames = new ToolNameMap();
  for (const name of meta.clientToolNames ?? []) toolNames.toBedrock(name);
  const upstream: ConverseStreamOutput[] = await streamThroughSdk(upstreamBytes(path));
  const translator = new ConverseStreamTranslator({ messageId: "msg_golden", model: "claude-golden", inputTokensEstimate: 11, toolNames, stopSequences: meta.stopSequences });
  const events: StreamEvent[] = [...translator.start(), ...upstream.flatMap((event) => translator.push(event)), ...translator.end()];
  return { upstream, events, translator, toolNames };
}

async function expectClientReconstruction(result: Awaited<ReturnType<typeof translate>>) {
  const { upstream, events, translator, toolNames } = result;
  expectWellFormedStream(events);
  const message = await finalMessageFromSdk(events);
  expect(message.content as unknown).toEqual(expectedContent(upstream, toolNames));
  expect(message.stop_reason as string | null).toBe(translator.stopReason);
  expect(message.stop_sequence).toBe(translator.stopSequence);
  expect(message.usage).toMatchObject(translator.usage);
  const metadata = upstream.find((event) => event.metadata)?.metadata?.usage;
  if (metadata) expect(translator.usage.output_tokens).toBe(metadata.outputTokens ?? 0);
}

describe("golden: own ConverseStream fixtures", () => {
  const dir = join(converseFixtures, "stream");
  const files = listFiles(dir, ".jsonl");
  test("there are fixtures for text, reasoning, redacted reasoning, several tools and citations", () => {
    for (const name of ["text", "reasoning-signature", "redacted-reasoning", "tool-use-several", "citations"]) {
      expect(files).toContain(`${name}.chunks.jsonl`);
    }
  });
  for (const file of files) {
    test(file, async () => {
      const result = await translate(join(dir, file));
      expectGolden(result.events, join(dir, file.replace(captureSuffix, ".expected.json")));
      await expectClientReconstruction(result);
    });
  }
});

describe("golden: recorded ConverseStream bytes (own fixtures, and the shared captures when present)", () => {
  for (const path of fixtureFiles("bedrock-converse-stream", ".jsonl")) {
    test(basename(path), async () => {
      const result = await translate(path);
      expectGolden(outline(result.events), join(converseFixtures, "outline-golden", `${basename(path).replace(captureSuffix, "")}.stream.expected.json`));
      await expectClientReconstruction(result);
    });
  }
});
