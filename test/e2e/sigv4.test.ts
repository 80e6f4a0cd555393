import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startEmulator, type Emulator } from "../../emulator/server.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../lib/log.ts";
import { type RunningProxy, startServer } from "../../src/server.ts";
import { testAwsCredentials } from "../support/aws-credentials.ts";
import { temporarySpoolPath } from "../support/proxy-process.ts";

/**
 * The proxy's signatures are checked end to end: the emulator holds the credentials, and a proxy that
 * signs with another secret or an unknown key gets Bedrock's 403, which its client sees as Anthropic's
 * `permission_error` envelope (every other e2e test signs correctly, through the same emulator check).
 */

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0, credentials: testAwsCredentials });
});
afterAll(() => emulator.stop());

async function proxySigningWith(credentials: { accessKeyId: string; secretAccessKey: string }): Promise<RunningProxy> {
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "error",
    BEDROCK_ENDPOINT: emulator.url,
    SQLITE_PATH: ":memory:",
    AUTH_MODE: "open",
    UPSTREAM_MAX_RETRIES: "0",
    USAGE_SPOOL_PATH: temporarySpoolPath(),
  });
  return startServer(config, createLogger("error", {}, () => undefined), { awsCredentials: async () => credentials });
}

const ask = (proxy: RunningProxy, model: string, stream = false) =>
  fetch(`${proxy.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model, max_tokens: 50, messages: [{ role: "user", content: "hi" }], ...(stream && { stream: true }) }),
  });

describe.each([
  ["another secret", { ...testAwsCredentials, secretAccessKey: "not-the-emulator's" }, "does not match the signature"],
  ["an unknown access key", { ...testAwsCredentials, accessKeyId: "AKIDUNKNOWN" }, "security token included in the request is invalid"],
])("a proxy signing with %s", (_name, credentials, message) => {
  let proxy: RunningProxy;
  beforeAll(async () => {
    proxy = await proxySigningWith(credentials);
  });
  afterAll(() => proxy.stop());

  for (const [model, stream] of [["claude-sonnet-4-6", false], ["claude-sonnet-4-6", true], ["qwen.qwen3-coder-480b-a35b-v1:0", false], ["qwen.qwen3-coder-480b-a35b-v1:0", true]] as const) {
    test(`${model}${stream ? " streamed" : ""}: 403 permission_error in Anthropic's envelope`, async () => {
      const response = await ask(proxy, model, stream);
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ type: "error", error: { type: "permission_error", message: expect.stringContaining(message) } });
    });
  }
});

test("the same proxy signing with the emulator's credentials is answered", async () => {
  const proxy = await proxySigningWith(testAwsCredentials);
  try {
    expect((await ask(proxy, "claude-sonnet-4-6")).status).toBe(200);
  } finally {
    await proxy.stop();
  }
});
