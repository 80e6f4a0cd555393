import { describe, expect, test } from "bun:test";
import { modelAllowed } from "../../src/gateway/keys/allowed-models.ts";
import { maxModelIdLength } from "../../src/bedrock/model-id.ts";
import { maxAllowedModels, maxGlobLength } from "../../src/gateway/keys/api-key.ts";
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
  test("match the resolved Bedrock id, what is served and billed", () => {
    expect(modelAllowed(["*anthropic.claude-opus*"], "global.anthropic.claude-opus-4-6-v1")).toBe(true);
    expect(modelAllowed(["*anthropic.claude-sonnet*"], "global.anthropic.claude-sonnet-4-6")).toBe(true);
    expect(modelAllowed(["qwen.*"], "global.anthropic.claude-opus-4-6-v1")).toBe(false);
    expect(modelAllowed(["global.anthropic.claude-haiku-4-?-*"], "global.anthropic.claude-haiku-4-5-20251001-v1:0")).toBe(true);
    expect(modelAllowed(["*sonnet"], "global.anthropic.claude-sonnet-4-6")).toBe(false);
  });

  test("case-insensitive; dots and other regex characters are literal", () => {
    expect(modelAllowed(["QWEN.*"], "qwen.qwen3-coder")).toBe(true);
    expect(modelAllowed(["qwen.qwen3*"], "qwenXqwen3-coder")).toBe(false);
    expect(modelAllowed(["a(b|c)+"], "a(b|c)+")).toBe(true);
  });

  test("stars match any run, empty included; ? exactly one character", () => {
    expect(modelAllowed(["a*b*c"], "abc")).toBe(true);
    expect(modelAllowed(["a*b*c"], "axxbyyc")).toBe(true);
    expect(modelAllowed(["a*b*c"], "axxbyy")).toBe(false);
    expect(modelAllowed(["a*bc"], "abcbc")).toBe(true);
    expect(modelAllowed(["ab*ba"], "aba")).toBe(false);
    expect(modelAllowed(["a?c"], "ac")).toBe(false);
    expect(modelAllowed(["*?*"], "")).toBe(false);
    expect(modelAllowed(["**"], "")).toBe(true);
  });

  test("`*` allows everything, an empty list nothing", () => {
    expect(modelAllowed(["*"], "x")).toBe(true);
    expect(modelAllowed([], "x")).toBe(false);
  });

  test("a pathological glob is decided in linear time, not by backtracking", () => {
    const started = performance.now();
    const globs = Array.from({ length: maxAllowedModels }, () => `claude-${"*-".repeat(120)}v1`.slice(0, maxGlobLength));
    expect(modelAllowed(globs, `claude-${"-".repeat(maxModelIdLength - 7)}`)).toBe(false);
    expect(modelAllowed(["claude-*-*-*-*-*-v1"], `claude-${"-".repeat(240)}`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
  });
});
