import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { BetaMessageParam, BetaToolUnion } from "@anthropic-ai/sdk/resources/beta/messages";
import type Anthropic from "@anthropic-ai/sdk";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * The ordinary path (this stack has no sandbox service, so no PTC): a conversation that carries PTC's
 * fields on client tools and their calls (`allowed_callers`, `caller: {type: "direct"}`) is answered, and
 * neither field reaches Bedrock on either route, by the emulator's request log (docs/ptc.md#ptc-off).
 */

const routes = [
  { name: "native Claude (InvokeModel)", model: "claude-sonnet-4-6", plain: "invoke" },
  { name: "Converse (Qwen3 Coder)", model: "qwen.qwen3-coder-480b-a35b-v1:0", plain: "converse" },
] as const;

const tools: BetaToolUnion[] = [
  { name: "send_email", description: "Send an email.", input_schema: { type: "object", properties: { to: { type: "string" } } }, allowed_callers: ["direct"] },
  { name: "lookup", input_schema: { type: "object" } },
];

const messages: BetaMessageParam[] = [
  { role: "user", content: "Email Ann." },
  { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "send_email", input: { to: "ann" }, caller: { type: "direct" } }] },
  { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "sent" }] },
];

let stack: Stack;
let client: Anthropic;

beforeAll(async () => {
  stack = await startStack();
  client = stack.client();
});
afterAll(() => stack.stop());
beforeEach(() => stack.reset());

for (const route of routes) {
  describe(route.name, () => {
    test("allowed_callers and caller are answered and never reach Bedrock", async () => {
      const message = await client.beta.messages.create({ model: route.model, max_tokens: 100, tools, messages, betas: ["advanced-tool-use-2025-11-20"] });
      expect(message.content.length).toBeGreaterThan(0);
      const sent = (await stack.requests()).filter((request) => request.operation.startsWith(route.plain));
      expect(sent).toHaveLength(1);
      const body = JSON.stringify(sent[0]?.body);
      expect(body).toContain("send_email");
      expect(body).toContain("toolu_1");
      expect(body).not.toContain("allowed_callers");
      expect(body).not.toContain("caller");
    });
  });
}
