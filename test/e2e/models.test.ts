import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Stack, startStack } from "../support/stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ LIST_BEDROCK_MODELS: "true", MODEL_MAP: '{"coder": "qwen.qwen3-coder-480b-a35b-v1:0"}' });
});
afterAll(() => stack.stop());

describe("GET /v1/models", () => {
  test("lists the aliases and the account's Bedrock models in Anthropic's shape", async () => {
    const ids: string[] = [];
    for await (const model of stack.client().models.list({ limit: 5 })) {
      expect(model.type).toBe("model");
      expect(typeof model.display_name).toBe("string");
      expect(Number.isNaN(Date.parse(model.created_at))).toBe(false);
      ids.push(model.id);
    }
    expect(ids).toContain("sonnet");
    expect(ids).toContain("claude-sonnet-4-5");
    expect(ids).toContain("coder");
    expect(ids.some((id) => id.startsWith("global.anthropic."))).toBe(true);
    expect(ids.some((id) => id.startsWith("amazon.nova"))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("pages with limit, after_id and before_id", async () => {
    const get = async (query: string) => (await (await fetch(`${stack.proxyUrl}/v1/models?${query}`)).json()) as { data: { id: string }[]; has_more: boolean; first_id: string; last_id: string };
    const all = await get("limit=1000");
    expect(all.has_more).toBe(false);
    const first = await get("limit=3");
    expect(first.data.map((m) => m.id)).toEqual(all.data.slice(0, 3).map((m) => m.id));
    expect(first.has_more).toBe(true);
    expect(first.first_id).toBe(all.data[0]?.id ?? "");
    expect(first.last_id).toBe(all.data[2]?.id ?? "");
    const second = await get(`limit=3&after_id=${encodeURIComponent(first.last_id)}`);
    expect(second.data.map((m) => m.id)).toEqual(all.data.slice(3, 6).map((m) => m.id));
    const back = await get(`limit=2&before_id=${encodeURIComponent(second.first_id)}`);
    expect(back.data.map((m) => m.id)).toEqual(all.data.slice(1, 3).map((m) => m.id));
    expect(back.has_more).toBe(true);
  });

  test("a bad limit is a 400", async () => {
    expect((await fetch(`${stack.proxyUrl}/v1/models?limit=0`)).status).toBe(400);
  });

  test("GET /v1/models/{id} finds aliases and newer Claude names, 404 otherwise", async () => {
    const model = await stack.client().models.retrieve("claude-haiku-4-5");
    expect(model.id).toBe("claude-haiku-4-5");
    expect((await fetch(`${stack.proxyUrl}/v1/models/claude-opus-4-8`)).status).toBe(200);
    const missing = await fetch(`${stack.proxyUrl}/v1/models/no-such-model`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { type: string } }).error.type).toBe("not_found_error");
  });
});

describe("health", () => {
  test("HEAD / answers Claude Code's connectivity check", async () => {
    expect((await fetch(`${stack.proxyUrl}/`, { method: "HEAD" })).status).toBe(200);
  });

  test("/health is live and /ready checks Bedrock", async () => {
    expect(await (await fetch(`${stack.proxyUrl}/health`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${stack.proxyUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.bedrock_endpoint).toBe("ok");
  });
});

describe("count_tokens", () => {
  test("is served for every known model, with Bedrock's count or the local estimate", async () => {
    for (const model of ["claude-sonnet-4-5", "claude-opus-4-8", "coder", "amazon.nova-pro-v1:0"]) {
      const response = await fetch(`${stack.proxyUrl}/v1/messages/count_tokens?beta=true`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model, messages: [{ role: "user", content: "count these words please" }], tools: [{ name: "t", input_schema: { type: "object" } }] }),
      });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    }
    const operations = (await stack.requests()).map((r) => r.operation);
    expect(operations.filter((o) => o === "count-tokens").length).toBe(2);
  });
});
