/**
 * Golden tests for non-stream Converse responses, read through the real Bedrock SDK. Own fixtures are
 * compared with the full expected Message; recorded bodies (ours in test/fixtures/bedrock-converse, and
 * the workspace's captures when present) with an outline, plus checks against the body itself (texts,
 * ids verbatim, usage adding up to Bedrock's totalTokens).
 */
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import type { Message } from "../../../../src/anthropic/messages.ts";
import { fromConverseResponse } from "../../../../src/bedrock/converse/response/message.ts";
import { ToolNameMap } from "../../../../src/bedrock/converse/tool-names.ts";
import { converseThroughSdk } from "../support/bedrock-sdk.ts";
import { fixtureFiles, listFiles, readJson } from "../../../support/fixtures.ts";
import { converseFixtures, expectGolden } from "../support/fixtures.ts";

interface FixtureMeta {
  clientToolNames?: string[];
  stopSequences?: string[];
}

async function convertResponse(body: unknown, meta: FixtureMeta = {}): Promise<Message> {
  const toolNames = new ToolNameMap();
  for (const name of meta.clientToolNames ?? []) toolNames.toBedrock(name);
  const output = await converseThroughSdk(body);
  return fromConverseResponse(output, { messageId: "msg_golden", model: "claude-golden", toolNames, stopSequences: meta.stopSequences });
}

describe("golden: own Converse responses", () => {
  const dir = join(converseFixtures, "response");
  for (const file of listFiles(dir, ".response.json")) {
    test(file, async () => {
      const metaPath = join(dir, file.replace(".response.json", ".meta.json"));
      const message = await convertResponse(readJson(join(dir, file)), existsSync(metaPath) ? readJson(metaPath) : {});
      expectGolden(message, join(dir, file.replace(".response.json", ".expected.json")));
    });
  }
});

interface CapturedBody {
  output: { message: { content: Record<string, unknown>[] } };
  stopReason: string;
  usage: { inputTokens: number; outputTokens: number; totalTokens: number; cacheReadInputTokens?: number; cacheWriteInputTokens?: number };
}

describe("golden: recorded Converse responses (own, and the shared captures when present)", () => {
  const files = fixtureFiles("bedrock-converse", ".json").filter((path) => !path.endsWith(".request.json"));
  for (const path of files) {
    const file = basename(path);
    const capture = readJson<Record<string, unknown>>(path);
    const status = (capture["status"] as { code?: number } | undefined)?.code ?? 200;
    if (status !== 200) continue; // error bodies are the HTTP layer's concern
    const body = (capture["body"] ?? capture) as CapturedBody;
    test(file, async () => {
      const message = await convertResponse(body);
      expectGolden(
        { content: message.content.map((block) => block.type), stop_reason: message.stop_reason, stop_sequence: message.stop_sequence, usage: message.usage },
        join(converseFixtures, "outline-golden", file.replace(/(\.response)?\.json$/, ".response.expected.json")),
      );
      const source = body.output.message.content;
      expect(message.content).toHaveLength(source.length);
      source.forEach((block, i) => {
        const converted = message.content[i];
        if (typeof block["text"] === "string") expect(converted).toEqual({ type: "text", text: block["text"] });
        const toolUse = block["toolUse"] as { toolUseId: string; input: unknown } | undefined;
        if (toolUse) expect(converted).toMatchObject({ type: "tool_use", id: toolUse.toolUseId, input: toolUse.input });
        const reasoning = (block["reasoningContent"] as { reasoningText?: { text: string; signature: string } } | undefined)?.reasoningText;
        if (reasoning) expect(converted).toEqual({ type: "thinking", thinking: reasoning.text, signature: reasoning.signature });
      });
      const usage = message.usage;
      expect(usage.input_tokens + usage.output_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens).toBe(body.usage.totalTokens);
    });
  }
});
