import { describe, expect, test } from "bun:test";
import { CountTokensCommand, ValidationException } from "@aws-sdk/client-bedrock-runtime";
import { encoder, invokeBody, qwen, sonnetFoundation, userText, useEmulator } from "./helpers.ts";

const emulator = useEmulator();

const countConverse = (modelId: string, converse: Record<string, unknown>) =>
  emulator.post(`/model/${encodeURIComponent(modelId)}/count-tokens`, { input: { converse } });

describe("CountTokens", () => {
  test("the converse form counts system, messages and tools like Converse usage", async () => {
    const response = await emulator.runtime().send(
      new CountTokensCommand({
        modelId: sonnetFoundation,
        input: { converse: { system: [{ text: "You are terse." }], messages: [userText("How many tokens is this?")] } },
      }),
    );
    expect(response.inputTokens).toBe(Math.ceil(("You are terse.".length + "How many tokens is this?".length) / 4));
  });

  test("the invokeModel form takes the Messages body (the SDK sends it base64-encoded)", async () => {
    const body = invokeBody({ system: "Be brief.", messages: [{ role: "user", content: "Count these words please" }] });
    const response = await emulator.runtime().send(
      new CountTokensCommand({ modelId: sonnetFoundation, input: { invokeModel: { body: encoder.encode(JSON.stringify(body)) } } }),
    );
    expect(response.inputTokens).toBe(Math.ceil(("Be brief.".length + "Count these words please".length) / 4));
  });

  test("a raw JSON string body is accepted too", async () => {
    const response = await emulator.post(`/model/${encodeURIComponent(sonnetFoundation)}/count-tokens`, {
      input: { invokeModel: { body: JSON.stringify(invokeBody()) } },
    });
    expect(await response.json()).toEqual({ inputTokens: 2 });
  });

  test("the inner request is validated by the same rules as the operation it stands for", async () => {
    const alternating = await countConverse(sonnetFoundation, { messages: [userText("a"), userText("b")] });
    expect(alternating.status).toBe(400);
    expect(((await alternating.json()) as { message: string }).message).toContain("must alternate");

    const extraneous = emulator.runtime().send(
      new CountTokensCommand({ modelId: sonnetFoundation, input: { invokeModel: { body: encoder.encode(JSON.stringify(invokeBody({ model: "x" }))) } } }),
    );
    await expect(extraneous).rejects.toThrow("extraneous key [model] is not permitted");
  });

  test("exactly one input form is required", async () => {
    const response = await emulator.post(`/model/${encodeURIComponent(sonnetFoundation)}/count-tokens`, { input: {} });
    expect(response.status).toBe(400);
  });

  test("models other than Claude do not count tokens", async () => {
    const failure = emulator.runtime().send(new CountTokensCommand({ modelId: qwen, input: { converse: { messages: [userText("hi")] } } }));
    await expect(failure).rejects.toBeInstanceOf(ValidationException);
    await expect(failure).rejects.toThrow("The provided model doesn't support counting tokens.");
  });
});
