import { describe, expect, test } from "bun:test";
import { modelAllowed } from "../../src/gateway/keys/allowed-models.ts";
import { hashKey, issueKey, keyPrefix, looksIssued } from "../../src/gateway/keys/secret.ts";

describe("issued keys", () => {
  test("are random, prefixed, and stored only as their SHA-256", () => {
    const a = issueKey();
    const b = issueKey();
    expect(a.secret).not.toBe(b.secret);
    expect(a.secret.startsWith(keyPrefix)).toBe(true);
    expect(a.secret.length).toBeGreaterThanOrEqual(keyPrefix.length + 43);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash).toBe(hashKey(a.secret));
    expect(a.hash).not.toContain(a.secret.slice(keyPrefix.length));
    expect(a.secret.startsWith(a.displayPrefix)).toBe(true);
    expect(looksIssued(a.secret)).toBe(true);
    expect(looksIssued("sk-ant-other")).toBe(false);
  });
});

describe("allowed_models globs", () => {
  test("match the client's name or the resolved Bedrock id", () => {
    expect(modelAllowed(["claude-*"], ["claude-opus-4-8", "global.anthropic.claude-opus-4-6-v1"])).toBe(true);
    expect(modelAllowed(["*anthropic.claude-sonnet*"], ["sonnet", "global.anthropic.claude-sonnet-4-6"])).toBe(true);
    expect(modelAllowed(["qwen.*"], ["claude-opus-4-8", "global.anthropic.claude-opus-4-6-v1"])).toBe(false);
    expect(modelAllowed(["claude-haiku-4-?"], ["claude-haiku-4-5"])).toBe(true);
  });

  test("dots and other regex characters are literal", () => {
    expect(modelAllowed(["qwen.qwen3*"], ["qwenXqwen3-coder"])).toBe(false);
  });

  test("`*` allows everything, an empty list nothing", () => {
    expect(modelAllowed(["*"], ["x"])).toBe(true);
    expect(modelAllowed([], ["x"])).toBe(false);
  });
});
