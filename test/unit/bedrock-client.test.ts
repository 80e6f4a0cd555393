import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { ApiError } from "../../src/anthropic/errors.ts";
import { type BedrockClients, createBedrockClients } from "../../src/bedrock/client.ts";
import { loadConfig } from "../../src/config.ts";
import { type Emulator, startEmulator } from "../../emulator/server.ts";

/** The runtime client's own last check: whatever id reaches it, the path stays under /model/{id}/. */

let emulator: Emulator;
let clients: BedrockClients;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  clients = createBedrockClients(loadConfig({ BEDROCK_ENDPOINT: emulator.url, AWS_BEARER_TOKEN_BEDROCK: "test-token" }));
});
afterAll(async () => {
  clients.runtime.destroy();
  clients.control.destroy();
  await emulator.stop();
});

const converse = (modelId: string) => clients.runtime.send(new ConverseCommand({ modelId, messages: [{ role: "user", content: [{ text: "hi" }] }] }));
const recorded = async () => (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as { modelId: string }[];

test("a dot-segment model id never leaves the proxy", async () => {
  for (const modelId of ["..", "."]) {
    const error = await converse(modelId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
  }
  expect(await recorded()).toEqual([]);
});

test("ids with slashes and percent signs stay one encoded segment", async () => {
  for (const modelId of ["arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0", "a/../../x", "%2e%2e"]) await converse(modelId);
  expect((await recorded()).map((r) => r.modelId)).toEqual(["arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0", "a/../../x", "%2e%2e"]);
});

describe("the generation path (signed fetch) holds the same line", () => {
  const post = (modelId: string) =>
    clients.generation.post({ operation: "converse", modelId, body: JSON.stringify({ messages: [{ role: "user", content: [{ text: "hi" }] }] }), headers: { "content-type": "application/json" } }, AbortSignal.timeout(5_000));

  test("a dot-segment model id never leaves the proxy", async () => {
    await fetch(`${emulator.url}/_emulator/reset`, { method: "POST" });
    for (const modelId of ["..", "."]) {
      const error = await post(modelId).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(400);
    }
    expect(await recorded()).toEqual([]);
  });

  test("ids with slashes and percent signs stay one encoded segment", async () => {
    const ids = ["arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0", "a/../../x", "%2e%2e"];
    for (const modelId of ids) await post(modelId);
    expect((await recorded()).map((r) => r.modelId)).toEqual(ids);
  });
});
