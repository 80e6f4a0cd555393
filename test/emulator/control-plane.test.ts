import { describe, expect, test } from "bun:test";
import {
  ListFoundationModelsCommand,
  ListInferenceProfilesCommand,
  paginateListInferenceProfiles,
  type InferenceProfileSummary,
} from "@aws-sdk/client-bedrock";
import { useEmulator } from "./helpers.ts";

const emulator = useEmulator();

describe("ListFoundationModels", () => {
  test("the SDK deserialises the catalogue", async () => {
    const { modelSummaries = [] } = await emulator.control().send(new ListFoundationModelsCommand({}));
    const ids = modelSummaries.map((model) => model.modelId);
    expect(ids).toContain("anthropic.claude-sonnet-4-5-20250929-v1:0");
    expect(ids).toContain("anthropic.claude-opus-4-6-v1");
    expect(ids).toContain("qwen.qwen3-coder-480b-a35b-v1:0");
    expect(ids).toContain("amazon.nova-pro-v1:0");
    const sonnet = modelSummaries.find((model) => model.modelId === "anthropic.claude-sonnet-4-5-20250929-v1:0");
    expect(sonnet).toMatchObject({
      modelArn: "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
      modelName: "Claude Sonnet 4.5",
      providerName: "Anthropic",
      inputModalities: ["TEXT", "IMAGE"],
      outputModalities: ["TEXT"],
      responseStreamingSupported: true,
      inferenceTypesSupported: ["INFERENCE_PROFILE"],
      modelLifecycle: { status: "ACTIVE" },
    });
  });

  test("byProvider filters", async () => {
    const { modelSummaries = [] } = await emulator.control().send(new ListFoundationModelsCommand({ byProvider: "anthropic" }));
    expect(modelSummaries.length).toBeGreaterThan(0);
    expect(modelSummaries.every((model) => model.providerName === "Anthropic")).toBe(true);
  });
});

describe("ListInferenceProfiles", () => {
  test("profiles deserialise with dates, models and system-defined type", async () => {
    const { inferenceProfileSummaries = [] } = await emulator.control().send(new ListInferenceProfilesCommand({}));
    const profile = inferenceProfileSummaries.find((summary) => summary.inferenceProfileId === "global.anthropic.claude-sonnet-4-5-20250929-v1:0");
    expect(profile?.createdAt).toBeInstanceOf(Date);
    expect(profile?.status).toBe("ACTIVE");
    expect(profile?.type).toBe("SYSTEM_DEFINED");
    expect(profile?.inferenceProfileArn).toStartWith("arn:aws:bedrock:us-east-1:");
    expect(profile?.models?.length).toBeGreaterThan(0);
    expect(inferenceProfileSummaries.map((summary) => summary.inferenceProfileId)).toContain("us.anthropic.claude-haiku-4-5-20251001-v1:0");
  });

  test("maxResults and nextToken page through every profile exactly once", async () => {
    const { inferenceProfileSummaries: all = [] } = await emulator.control().send(new ListInferenceProfilesCommand({}));
    const first = await emulator.control().send(new ListInferenceProfilesCommand({ maxResults: 5 }));
    expect(first.inferenceProfileSummaries).toHaveLength(5);
    expect(first.nextToken).toBeString();

    const paged: InferenceProfileSummary[] = [];
    for await (const page of paginateListInferenceProfiles({ client: emulator.control(), pageSize: 4 }, {})) {
      paged.push(...(page.inferenceProfileSummaries ?? []));
    }
    expect(paged.map((summary) => summary.inferenceProfileId)).toEqual(all.map((summary) => summary.inferenceProfileId));
  });

  test("a forged nextToken is a ValidationException", async () => {
    const failure = emulator.control().send(new ListInferenceProfilesCommand({ nextToken: "bm9wZQ==" }));
    await expect(failure).rejects.toThrow("The provided pagination token is invalid.");
  });
});
