import { describe, expect, test } from "bun:test";
import { type MessagesRequest, messagesRequestSchema } from "../../src/anthropic/schema.ts";
import { createModelResolver } from "../../src/bedrock/models.ts";
import { foldSystemMessages, mergeSameRole, prepareCountTokens, prepareRequest } from "../../src/bedrock/prepare.ts";
import { createLogger } from "../../lib/log.ts";

const log = createLogger("error");
const resolver = createModelResolver({}, { opus: "global.anthropic.claude-opus-4-6-v1", sonnet: "global.anthropic.claude-sonnet-4-5-20250929-v1:0", haiku: "global.anthropic.claude-haiku-4-5-20251001-v1:0" });
const request = (fields: Partial<MessagesRequest>): MessagesRequest =>
  messagesRequestSchema.parse({ model: "sonnet", max_tokens: 1000, messages: [{ role: "user", content: "hi" }], ...fields });

describe("preparing a request for its model", () => {
  test("a leading system message joins the system prompt", () => {
    const folded = foldSystemMessages("base", [
      { role: "system", content: "extra" },
      { role: "user", content: "hi" },
    ]);
    expect(folded.system).toEqual([
      { type: "text", text: "base" },
      { type: "text", text: "extra" },
    ]);
    expect(folded.messages).toEqual([{ role: "user", content: "hi" }]);
  });

  test("a mid-conversation system message joins the user turn around it, leaving the prefix intact", () => {
    const first = { type: "text" as const, text: "say ping", cache_control: { type: "ephemeral" as const } };
    const folded = foldSystemMessages(undefined, [
      { role: "user", content: [first] },
      { role: "system", content: "agents: claude" },
      { role: "assistant", content: "ok" },
    ]);
    expect(folded.system).toBeUndefined();
    const merged = mergeSameRole(folded.messages);
    expect(merged).toHaveLength(2);
    expect(merged[0]).toEqual({ role: "user", content: [first, { type: "text", text: "<system>\nagents: claude\n</system>" }] });
  });

  test("adaptive thinking on a model without it becomes a budget below max_tokens", () => {
    const model = resolver.resolve("claude-sonnet-4-5");
    const prepared = prepareRequest(request({ max_tokens: 64000, thinking: { type: "adaptive" }, output_config: { effort: "high" } }), model, [], log);
    expect(prepared.request.thinking).toEqual({ type: "enabled", budget_tokens: 16000 });
    expect(prepared.request.output_config).toBeUndefined();
  });

  test("adaptive thinking stays where the model takes it", () => {
    const prepared = prepareRequest(request({ max_tokens: 64000, thinking: { type: "adaptive" } }), resolver.resolve("claude-opus-4-8"), [], log);
    expect(prepared.request.thinking).toEqual({ type: "adaptive" });
  });

  test("max_tokens above the model's limit is clamped, and the budget follows", () => {
    const model = resolver.resolve("claude-opus-4-1");
    const prepared = prepareRequest(request({ max_tokens: 64000, thinking: { type: "enabled", budget_tokens: 40000 } }), model, [], log);
    expect(prepared.request.max_tokens).toBe(32000);
    expect(prepared.request.thinking).toEqual({ type: "enabled", budget_tokens: 31999 });
  });

  test("`display` survives when adaptive thinking becomes a budget, and when a budget is clamped", () => {
    // Claude Code 2.1.332 sends `display: "omitted"` on every request: the client asked for empty thinking text.
    const adaptive = prepareRequest(request({ max_tokens: 64000, thinking: { type: "adaptive", display: "omitted" } }), resolver.resolve("claude-sonnet-4-5"), [], log);
    expect(adaptive.request.thinking).toEqual({ type: "enabled", budget_tokens: 16000, display: "omitted" });
    const budget = prepareRequest(request({ max_tokens: 64000, thinking: { type: "enabled", budget_tokens: 40000, display: "omitted" } }), resolver.resolve("claude-opus-4-1"), [], log);
    expect(budget.request.thinking).toEqual({ type: "enabled", budget_tokens: 31999, display: "omitted" });
    const kept = prepareRequest(request({ max_tokens: 64000, thinking: { type: "adaptive", display: "summarized" } }), resolver.resolve("claude-opus-5-5"), [], log);
    expect(kept.request.thinking).toEqual({ type: "adaptive", display: "summarized" });
  });

  test("thinking without room for the minimum budget is dropped", () => {
    const prepared = prepareRequest(request({ max_tokens: 1000, thinking: { type: "adaptive" } }), resolver.resolve("claude-sonnet-4-5"), [], log);
    expect(prepared.request.thinking).toBeUndefined();
  });

  test("models that do not think lose the thinking setting", () => {
    const prepared = prepareRequest(request({ thinking: { type: "enabled", budget_tokens: 2000 }, max_tokens: 4000 }), resolver.resolve("qwen.qwen3-coder-480b-a35b-v1:0"), [], log);
    expect(prepared.request.thinking).toBeUndefined();
  });

  test("betas never reach Converse models", () => {
    const prepared = prepareRequest(request({}), resolver.resolve("qwen.qwen3-coder-480b-a35b-v1:0"), ["interleaved-thinking-2025-05-14"], log);
    expect(prepared.betas.forwarded).toEqual([]);
  });

  test("turns merge on both routes; a turn Converse can send nothing of is dropped first, so its neighbours merge", () => {
    const messages = [
      { role: "user" as const, content: "one" },
      { role: "assistant" as const, content: [{ type: "text" as const, text: "  " }] },
      { role: "user" as const, content: "two" },
      { role: "user" as const, content: "three" },
    ];
    const converse = prepareRequest(request({ messages }), resolver.resolve("qwen.qwen3-coder-480b-a35b-v1:0"), [], log);
    expect(converse.request.messages).toEqual([{ role: "user", content: [{ type: "text", text: "one" }, { type: "text", text: "two" }, { type: "text", text: "three" }] }]);
    const invoke = prepareRequest(request({ messages }), resolver.resolve("sonnet"), [], log);
    expect(invoke.request.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
  });

  test("count_tokens is prepared as /messages is: folded, merged, betas mapped, thinking kept", () => {
    const model = resolver.resolve("claude-sonnet-4-5");
    const conversation = { model: "sonnet", thinking: { type: "adaptive" as const }, messages: [{ role: "user" as const, content: "hi" }, { role: "system" as const, content: "note" }] };
    const counted = prepareCountTokens(conversation, model, ["interleaved-thinking-2025-05-14"], log);
    const sent = prepareRequest(request({ ...conversation, max_tokens: 32_000 }), model, ["interleaved-thinking-2025-05-14"], log);
    expect(counted.request.messages).toEqual(sent.request.messages);
    expect(counted.request.thinking).toEqual(sent.request.thinking);
    expect(counted.betas).toEqual(sent.betas);
    expect(counted.estimatedInputTokens).toBe(sent.estimatedInputTokens);
  });
});
