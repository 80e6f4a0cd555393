import { describe, expect, test } from "bun:test";
import { redactedContentFromData } from "../../../../src/bedrock/converse/redacted-thinking.ts";
import { assistant, convert, user } from "../support/convert.ts";
import { claude3Haiku, claudeSonnet45, claudeSonnet46, novaPro } from "../support/models.ts";

const history = [
  user("What is the largest city in the user country?"),
  assistant([
    { type: "thinking", thinking: "I need the country first.", signature: "ErcBCkgIBhAB" },
    { type: "redacted_thinking", data: "EtkECkgIBxABGAI" },
    { type: "text", text: "Let me check." },
    { type: "tool_use", id: "tooluse_W9Da", name: "get_user_country", input: {} },
  ]),
  user([{ type: "tool_result", tool_use_id: "tooluse_W9Da", content: "Mexico" }]),
];
const tools = [{ name: "get_user_country", input_schema: { type: "object", properties: {} } }];

describe("toConverseRequest: thinking", () => {
  test("pitfall 1: thinking and redacted_thinking are replayed unmodified and in order", async () => {
    const { input } = await convert({ tools, max_tokens: 2048, messages: history, thinking: { type: "enabled", budget_tokens: 1024 } });
    expect(input.messages?.[1]?.content).toEqual([
      { reasoningContent: { reasoningText: { text: "I need the country first.", signature: "ErcBCkgIBhAB" } } },
      { reasoningContent: { redactedContent: new TextEncoder().encode("EtkECkgIBxABGAI") } },
      { text: "Let me check." },
      { toolUse: { toolUseId: "tooluse_W9Da", name: "get_user_country", input: {} } },
    ]);
  });

  test("redacted data travels as the UTF-8 bytes of the opaque string (what Bedrock's captures hold)", () => {
    // docs/bedrock-protocol.md#p15-redacted-bytes: a blob whose base64 is "RXRrRUNr…" holds the text "EtkECk…".
    expect(Buffer.from(redactedContentFromData("EtkECk")).toString("base64")).toBe("RXRrRUNr");
  });

  test("reasoning blocks are dropped (with a note) for models without thinking", async () => {
    for (const model of [claude3Haiku, novaPro]) {
      const { input, notes } = await convert({ tools, messages: history }, { model });
      expect(input.messages?.[1]?.content?.map((block) => Object.keys(block)[0])).toEqual(["text", "toolUse"]);
      expect(notes.some((note) => note.includes("does not take reasoning content"))).toBe(true);
    }
  });

  test("an assistant turn of only thinking, dropped, does not leave an empty message", async () => {
    const { input } = await convert(
      { messages: [user("a"), assistant([{ type: "thinking", thinking: "t", signature: "s" }]), user("b")] },
      { model: novaPro },
    );
    expect(input.messages).toEqual([{ role: "user", content: [{ text: "a" }, { text: "b" }] }]);
  });

  test("thinking enabled → additionalModelRequestFields.thinking with the budget", async () => {
    const { input } = await convert({ max_tokens: 4096, messages: [user("hi")], thinking: { type: "enabled", budget_tokens: 2048 } });
    expect(input.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 2048 } });
  });

  test("thinking adaptive → {type: adaptive} where the profile takes it, else the budget prepareRequest gives it", async () => {
    const adaptive = await convert({ messages: [user("hi")], thinking: { type: "adaptive" } }, { model: claudeSonnet46 });
    expect(adaptive.input.additionalModelRequestFields).toEqual({ thinking: { type: "adaptive" } });
    const older = await convert({ max_tokens: 20_000, messages: [user("hi")], thinking: { type: "adaptive" } }, { model: claudeSonnet45 });
    expect(older.input.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 16_000 } });
  });

  test("thinking disabled, or a model without thinking: no thinking field", async () => {
    expect((await convert({ messages: [user("hi")], thinking: { type: "disabled" } })).input.additionalModelRequestFields).toBeUndefined();
    const nova = await convert({ max_tokens: 2048, messages: [user("hi")], thinking: { type: "enabled", budget_tokens: 1024 } }, { model: novaPro });
    expect(nova.input.additionalModelRequestFields).toBeUndefined();
  });

  test("thinking blocks in a user message are dropped", async () => {
    const { input } = await convert({ messages: [user([{ type: "thinking", thinking: "t", signature: "s" }, { type: "text", text: "hi" }])] });
    expect(input.messages?.[0]?.content).toEqual([{ text: "hi" }]);
  });
});
