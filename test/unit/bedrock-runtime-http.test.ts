import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  BedrockRuntimeClient,
  ConverseCommand,
  type ConverseStreamCommandInput,
  InvokeModelCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from "@aws-sdk/client-bedrock-runtime";
import { Sha256 } from "@smithy/core/checksum";
import type { HttpHandler } from "@smithy/core/protocols";
import { HttpRequest, HttpResponse } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, FinalizeRequestMiddleware } from "@smithy/types";
import { BunFetchHandler } from "../../src/aws/fetch-handler.ts";
import { converseBody } from "../../src/bedrock/converse/wire.ts";
import { BedrockRuntimeHttp } from "../../src/bedrock/runtime/http.ts";
import { sigV4 } from "../../src/bedrock/runtime/signer.ts";
import { type Emulator, startEmulator } from "../../emulator/server.ts";

/**
 * The generation calls leave the AWS SDK's client: what goes on the wire must stay what the SDK sends.
 * The signature is compared with the SDK's own for the same request, credentials and time; the Converse
 * body with the SDK's through the emulator's request log.
 */

const credentials: AwsCredentialIdentity = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session-token" };
const region = "eu-west-3";

/** An SDK runtime client that signs and hands its request over instead of sending it. */
function capturingSdkClient(endpoint: string, sent: HttpRequest[]): BedrockRuntimeClient {
  const requestHandler: HttpHandler = {
    handle: async (request) => {
      sent.push(request);
      return { response: new HttpResponse({ statusCode: 200, headers: { "content-type": "application/json" }, body: new TextEncoder().encode("{}") }) };
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
  const client = new BedrockRuntimeClient({ region, endpoint, credentials, requestHandler, maxAttempts: 1 });
  // The SDK's own headers (user agents, invocation id, attempt count) that the proxy does not send go before signing.
  for (const name of ["getUserAgentMiddleware", "recursionDetectionMiddleware"]) client.middlewareStack.remove(name);
  const dropSdkHeaders: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next) => (args) => {
    const { headers } = args.request as HttpRequest;
    delete headers["amz-sdk-invocation-id"];
    delete headers["amz-sdk-request"];
    return next(args);
  };
  client.middlewareStack.addRelativeTo(dropSdkHeaders, { relation: "after", toMiddleware: "retryMiddleware", name: "dropSdkHeaders" });
  return client;
}

/** x-amz-date (20261127T170747Z) as a Date. */
function signingDate(amzDate: string): Date {
  const [, y, mo, d, h, mi, s] = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(amzDate) ?? [];
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}

describe("SigV4: the proxy signs as the SDK does", () => {
  const endpoint = "https://bedrock-runtime.eu-west-3.amazonaws.com";
  const ours = new BedrockRuntimeHttp(new URL(endpoint), sigV4(async () => credentials, region), "ua");
  const body = JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
  const cases = [
    { modelId: "global.anthropic.claude-sonnet-4-6", tier: undefined },
    { modelId: "arn:aws:bedrock:eu-west-3:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-6", tier: "priority" },
  ] as const;

  for (const { modelId, tier } of cases) {
    test(`InvokeModel on ${modelId}${tier ? ` at tier ${tier}` : ""}: same path, headers and Authorization`, async () => {
      const sent: HttpRequest[] = [];
      await capturingSdkClient(endpoint, sent).send(
        new InvokeModelCommand({ modelId, body, contentType: "application/json", accept: "application/json", ...(tier && { serviceTier: tier }) }),
      );
      const sdk = sent[0];
      if (!sdk) throw new Error("the SDK sent nothing");
      const headers = { "content-type": "application/json", accept: "application/json", ...(tier && { "x-amzn-bedrock-service-tier": tier }) };
      const date = signingDate(sdk.headers["x-amz-date"] ?? "");
      const signed = await ours.signed({ operation: "invoke", modelId, body, headers }, date);
      expect(signed.url).toBe(`${endpoint}${sdk.path}`);
      const { "user-agent": _ours, ...ourHeaders } = signed.headers;
      expect(ourHeaders).toEqual(sdk.headers);
      expect(ourHeaders.authorization).toStartWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/");
    });
  }
});

describe("SigV4: the native-hash signer gives the SDK signer's signature", () => {
  // Every shape the request path may send: with and without a session token, a body beyond ASCII,
  // header values with runs of spaces, model ids the path escapes twice, an endpoint with a path.
  const withoutToken: AwsCredentialIdentity = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
  const cases: { credentials: AwsCredentialIdentity; endpoint: string; modelId: string; body: string; headers: Record<string, string> }[] = [
    { credentials, endpoint: "https://bedrock-runtime.eu-west-3.amazonaws.com", modelId: "global.anthropic.claude-sonnet-4-6", body: '{"a":"é ✓ 中文 🙂"}', headers: {} },
    { credentials: withoutToken, endpoint: "https://bedrock-runtime.eu-west-3.amazonaws.com", modelId: "qwen.qwen3-coder-480b-a35b-v1:0", body: "{}", headers: { "x-amzn-bedrock-service-tier": "  flex   tier " } },
    { credentials, endpoint: "http://127.0.0.1:8080/prefix", modelId: "arn:aws:bedrock:eu-west-3:123456789012:application-inference-profile/a b(c)*'!", body: "", headers: {} },
  ];
  for (const [index, { credentials: identity, endpoint, modelId, body, headers }] of cases.entries()) {
    test(`case ${index + 1}: ${modelId}`, async () => {
      const date = new Date(Date.UTC(2026, 10, 27, 23, 59, 59, 999));
      const ours = new BedrockRuntimeHttp(new URL(endpoint), sigV4(async () => identity, region), "ua");
      const request = { operation: "converse" as const, modelId, body, headers: { "content-type": "application/json", ...headers } };
      const signed = await ours.signed(request, date);
      const url = new URL(signed.url);
      const unsigned = new HttpRequest({ method: "POST", hostname: url.hostname, path: url.pathname, headers: { ...signed.headers }, body });
      for (const name of ["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]) delete unsigned.headers[name];
      const sdkSigner = new SignatureV4({ credentials: identity, region, service: "bedrock", sha256: Sha256, uriEscapePath: true });
      const sdk = await sdkSigner.sign(unsigned, { signingDate: date });
      expect(signed.headers).toEqual(sdk.headers);
    });
  }
});

describe("Converse's JSON is the SDK's", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterAll(() => emulator.stop());

  const input: ConverseStreamCommandInput = {
    modelId: "qwen.qwen3-coder-480b-a35b-v1:0",
    messages: [
      { role: "user", content: [{ text: "look" }, { image: { format: "png", source: { bytes: new Uint8Array([137, 80, 78, 71, 0, 255]) } } }] },
      { role: "assistant", content: [{ reasoningContent: { redactedContent: Buffer.from("EtkBredacted") } }, { toolUse: { toolUseId: "t1", name: "get", input: { a: [1, null, { b: "c" }] } } }] },
      { role: "user", content: [{ toolResult: { toolUseId: "t1", content: [{ json: { ok: true } }, { document: { format: "txt", name: "notes", source: { bytes: new TextEncoder().encode("hello") } } }] } }] },
    ],
    system: [{ text: "be brief" }, { cachePoint: { type: "default" } }],
    inferenceConfig: { maxTokens: 64, temperature: 0.5, stopSequences: ["END"] },
    toolConfig: { tools: [{ toolSpec: { name: "get", inputSchema: { json: { type: "object", properties: { a: { type: "array" } } } } } }], toolChoice: { auto: {} } },
    additionalModelRequestFields: { top_k: 5, nothing: null },
    additionalModelResponseFieldPaths: ["/stop_sequence"],
    serviceTier: { type: "flex" },
  };

  test("every member, blobs as base64 and documents as JSON", async () => {
    const sdk = new BedrockRuntimeClient({ region, endpoint: emulator.url, credentials, maxAttempts: 1, requestHandler: new BunFetchHandler() });
    await sdk.send(new ConverseCommand(input));
    const ours = new BedrockRuntimeHttp(new URL(emulator.url), sigV4(async () => credentials, region), "ua");
    await ours.post({ operation: "converse", modelId: input.modelId ?? "", body: converseBody(input), headers: { "content-type": "application/json" } }, AbortSignal.timeout(5_000));
    const [fromSdk, fromOurs] = (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as { modelId: string; body: unknown; headers: Record<string, string> }[];
    expect(fromOurs?.modelId).toBe(input.modelId ?? "");
    expect(fromOurs?.body).toEqual(fromSdk?.body ?? "the SDK's request was not recorded");
    expect(fromOurs?.headers["content-type"]).toBe(fromSdk?.headers["content-type"] ?? "");
  });
});
