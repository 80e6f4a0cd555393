import { describe, expect, test } from "bun:test";
import { createModelResolver, profileFor, routeFor } from "../../src/bedrock/models.ts";

const defaults = { opus: "global.anthropic.claude-opus-4-6-v1", sonnet: "global.anthropic.claude-sonnet-4-6", haiku: "global.anthropic.claude-haiku-4-5-20251001-v1:0" };

describe("model resolution", () => {
  const resolver = createModelResolver({ "claude-sonnet-4-5": "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", fast: "qwen.qwen3-coder-480b-a35b-v1:0" }, defaults);

  test("dated and undated Claude ids map to inference profiles", () => {
    expect(resolver.resolve("claude-haiku-4-5-20251001").modelId).toBe("global.anthropic.claude-haiku-4-5-20251001-v1:0");
    expect(resolver.resolve("claude-haiku-4-5").modelId).toBe("global.anthropic.claude-haiku-4-5-20251001-v1:0");
    expect(resolver.resolve("claude-opus-4-5-20251101").modelId).toBe("global.anthropic.claude-opus-4-5-20251101-v1:0");
    expect(resolver.resolve("claude-sonnet-4-5-20250929").modelId).toBe("global.anthropic.claude-sonnet-4-5-20250929-v1:0");
  });

  test("bare family names go to the configured defaults", () => {
    expect(resolver.resolve("sonnet").modelId).toBe(defaults.sonnet);
    expect(resolver.resolve("haiku").modelId).toBe(defaults.haiku);
    expect(resolver.resolve("opus").modelId).toBe(defaults.opus);
  });

  test("a Claude name newer than the table goes to its family's default", () => {
    expect(resolver.resolve("claude-opus-4-8").modelId).toBe(defaults.opus);
    // Claude Code 2.1.332's default model.
    expect(resolver.resolve("claude-opus-5-5").modelId).toBe(defaults.opus);
    expect(resolver.resolve("claude-sonnet-5-20270101").modelId).toBe(defaults.sonnet);
    expect(resolver.resolve("claude-haiku-4-9").modelId).toBe(defaults.haiku);
  });

  test("Claude Code's [1m] suffix is not part of the model", () => {
    expect(resolver.resolve("claude-opus-4-8[1m]").modelId).toBe(defaults.opus);
  });

  test("MODEL_MAP overrides the built-in table", () => {
    expect(resolver.resolve("claude-sonnet-4-5").modelId).toBe("eu.anthropic.claude-sonnet-4-5-20250929-v1:0");
    expect(resolver.resolve("fast").modelId).toBe("qwen.qwen3-coder-480b-a35b-v1:0");
  });

  test("names that objects inherit are plain names in every table", () => {
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      expect(resolver.resolve(name, {}).modelId).toBe(name);
      expect(resolver.resolve(name, { other: "qwen.qwen3-coder-480b-a35b-v1:0" }).modelId).toBe(name);
    }
    expect(resolver.resolve("constructor", JSON.parse('{"constructor": "qwen.qwen3-coder-480b-a35b-v1:0"}')).modelId).toBe("qwen.qwen3-coder-480b-a35b-v1:0");
  });

  test("a dot segment is refused as a model id, from a client or an alias", () => {
    expect(() => resolver.resolve("..")).toThrow("model: .. is not a Bedrock model id");
    expect(() => resolver.resolve(".")).toThrow("model: . is not a Bedrock model id");
    expect(() => resolver.resolve("up", { up: ".." })).toThrow("model: .. is not a Bedrock model id");
  });

  test("Bedrock ids pass through unchanged", () => {
    expect(resolver.resolve("qwen.qwen3-coder-480b-a35b-v1:0").modelId).toBe("qwen.qwen3-coder-480b-a35b-v1:0");
    expect(resolver.resolve("us.anthropic.claude-3-7-sonnet-20250219-v1:0").modelId).toBe("us.anthropic.claude-3-7-sonnet-20250219-v1:0");
  });

  test("the route is chosen on the resolved id, never on the client's name", () => {
    expect(resolver.resolve("fast").route).toBe("converse");
    expect(resolver.resolve("sonnet").route).toBe("invoke");
    const aliasedToQwen = createModelResolver({ "claude-sonnet-4-5": "qwen.qwen3-coder-480b-a35b-v1:0" }, defaults);
    expect(aliasedToQwen.resolve("claude-sonnet-4-5").route).toBe("converse");
  });

  test("routes: foundation ids, profiles and ARNs of Claude go native", () => {
    expect(routeFor("anthropic.claude-sonnet-4-5-20250929-v1:0")).toBe("invoke");
    expect(routeFor("apac.anthropic.claude-sonnet-4-20250514-v1:0")).toBe("invoke");
    expect(routeFor("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-opus-4-6-v1")).toBe("invoke");
    expect(routeFor("amazon.nova-pro-v1:0")).toBe("converse");
    expect(routeFor("deepseek.r1-v1:0")).toBe("converse");
  });

  test("profiles carry each model's limits", () => {
    expect(profileFor("global.anthropic.claude-opus-4-6-v1").adaptiveThinking).toBe(true);
    expect(profileFor("global.anthropic.claude-sonnet-4-5-20250929-v1:0").adaptiveThinking).toBe(false);
    expect(profileFor("us.anthropic.claude-opus-4-1-20250805-v1:0").maxOutputTokens).toBe(32_000);
    expect(profileFor("amazon.nova-pro-v1:0").maxOutputTokens).toBe(10_000);
    expect(profileFor("qwen.qwen3-coder-480b-a35b-v1:0").thinking).toBe(false);
  });
});
