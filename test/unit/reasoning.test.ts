import { describe, expect, test } from "bun:test";
import { profileFor } from "../../src/bedrock/models.ts";
import { effortBudgets, effortForBudget, type ReasoningEffort, reasoningProfileFor } from "../../src/bedrock/reasoning.ts";

/** The reasoning table: which ids it covers, that each entry says where its facts come from, and the effort scale. */

const reasoningModels = [
  "openai.gpt-oss-120b-1:0",
  "openai.gpt-oss-20b-1:0",
  "us.amazon.nova-2-lite-v1:0",
  "global.amazon.nova-2-lite-v1:0",
  "us.deepseek.r1-v1:0",
  "deepseek.v3-v1:0",
  "deepseek.v3.2",
  "moonshot.kimi-k2-thinking",
  "qwen.qwen3-32b-v1:0",
  "qwen.qwen3-235b-a22b-thinking-2507-v1:0",
  "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.deepseek.r1-v1:0",
];
const otherModels = [
  "global.anthropic.claude-sonnet-4-6",
  "us.amazon.nova-pro-v1:0",
  "qwen.qwen3-coder-480b-a35b-v1:0",
  "qwen.qwen3-235b-a22b-2507-v1:0",
  "moonshot.kimi-k2-instruct",
  "minimax.minimax-m2",
];

describe("reasoning profiles", () => {
  test("every reasoning model has one, in its model profile too, with the source of its facts", () => {
    for (const id of reasoningModels) {
      const profile = reasoningProfileFor(id);
      expect(profile).toBeDefined();
      expect(profileFor(id).reasoning).toBe(profile);
      expect(profile?.source).toMatch(/https:\/\/|#\d+/);
    }
  });

  test("Claude and models that do not reason have none", () => {
    for (const id of otherModels) expect(profileFor(id).reasoning).toBeUndefined();
  });

  test("a budget reads as the least effort whose stand-in budget covers it, so adaptive's effort survives the trip", () => {
    for (const effort of Object.keys(effortBudgets) as ReasoningEffort[]) expect(effortForBudget(effortBudgets[effort])).toBe(effort);
    expect(effortForBudget(1_024)).toBe("low");
    expect(effortForBudget(4_097)).toBe("medium");
    expect(effortForBudget(100_000)).toBe("max");
  });
});
