import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BedrockRuntimeHttp, type RuntimeRequest } from "../../src/bedrock/runtime/http.ts";
import { bearerToken, sigV4 } from "../../src/bedrock/runtime/signer.ts";
import type { BedrockServiceError } from "../../src/bedrock/runtime/wire-errors.ts";
import { type Emulator, startEmulator } from "../../emulator/server.ts";
import { credentials, qwen } from "./helpers.ts";

/** Given credentials, the emulator checks SigV4 as Bedrock does; without them, any signature passes. */

const converse: RuntimeRequest = {
  operation: "converse",
  modelId: qwen,
  body: JSON.stringify({ messages: [{ role: "user", content: [{ text: "hi" }] }] }),
  headers: { "content-type": "application/json" },
};

let verifying: Emulator;
let lenient: Emulator;
beforeAll(async () => {
  [verifying, lenient] = await Promise.all([startEmulator({ credentials }), startEmulator()]);
});
afterAll(() => Promise.all([verifying.stop(), lenient.stop()]));

const client = (emulator: Emulator, secretAccessKey: string, accessKeyId = credentials.accessKeyId) =>
  new BedrockRuntimeHttp(new URL(emulator.url), sigV4(async () => ({ accessKeyId, secretAccessKey }), "us-east-1"), "test");
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: BedrockServiceError) => ({ name: error.name, status: error.$metadata.httpStatusCode, message: error.message }),
  );

describe("an emulator given credentials", () => {
  test("takes a request signed with them", async () => {
    expect((await client(verifying, credentials.secretAccessKey).post(converse, AbortSignal.timeout(5_000))).status).toBe(200);
  });

  test("refuses a signature made with another secret: 403 InvalidSignatureException", async () => {
    expect(await refusal(client(verifying, "not-the-secret").post(converse, AbortSignal.timeout(5_000)))).toMatchObject({
      name: "InvalidSignatureException",
      status: 403,
      message: expect.stringContaining("does not match the signature you provided"),
    });
  });

  test("refuses an access key it does not know: 403 UnrecognizedClientException", async () => {
    expect(await refusal(client(verifying, credentials.secretAccessKey, "AKIDUNKNOWN").post(converse, AbortSignal.timeout(5_000)))).toMatchObject({
      name: "UnrecognizedClientException",
      status: 403,
    });
  });

  test("refuses a body that is not the one signed", async () => {
    const { url, headers } = await client(verifying, credentials.secretAccessKey).signed(converse);
    const tampered = await fetch(url, { method: "POST", headers, body: converse.body.replace("hi", "ho") });
    expect(tampered.status).toBe(403);
    expect(tampered.headers.get("x-amzn-errortype")).toStartWith("InvalidSignatureException");
  });

  test("refuses a request sent to another path than the one signed", async () => {
    const { url, headers } = await client(verifying, credentials.secretAccessKey).signed({ ...converse, operation: "converse-stream" });
    const response = await fetch(url.replace("converse-stream", "converse"), { method: "POST", headers, body: converse.body });
    expect(response.status).toBe(403);
  });

  test("takes a bearer token", async () => {
    const bearer = new BedrockRuntimeHttp(new URL(verifying.url), bearerToken("api-key"), "test");
    expect((await bearer.post(converse, AbortSignal.timeout(5_000))).status).toBe(200);
  });
});

test("an emulator without credentials takes any signature", async () => {
  expect((await client(lenient, "anything").post(converse, AbortSignal.timeout(5_000))).status).toBe(200);
});
