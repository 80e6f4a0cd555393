import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { type Stack, startStack } from "../support/stack.ts";

/** Every error is the Anthropic envelope with a request_id, and Bedrock's faults map by one table. */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ UPSTREAM_MAX_RETRIES: "0", MAX_REQUEST_BYTES: "200000" });
});
afterAll(() => stack.stop());
beforeEach(() => stack.reset());

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${stack.proxyUrl}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

async function expectEnvelope(response: Response, status: number, type: string) {
  expect(response.status).toBe(status);
  const requestId = response.headers.get("request-id");
  expect(requestId).toMatch(/^req_/);
  const body = (await response.json()) as { type: string; error: { type: string; message: string }; request_id: string };
  expect(body.type).toBe("error");
  expect(body.error.type).toBe(type);
  expect(body.request_id).toBe(requestId ?? "");
  return body.error.message;
}

describe("client mistakes", () => {
  test("unknown routes are 404 not_found_error", async () => {
    await expectEnvelope(await fetch(`${stack.proxyUrl}/v1/nothing`), 404, "not_found_error");
    await expectEnvelope(await fetch(`${stack.proxyUrl}/v2/messages`, { method: "POST" }), 404, "not_found_error");
  });

  test("malformed JSON is 400", async () => {
    await expectEnvelope(await post("/v1/messages", "{not json"), 400, "invalid_request_error");
  });

  test("a validation error names the field", async () => {
    const missing = await expectEnvelope(await post("/v1/messages", JSON.stringify({ model: "sonnet", messages: [] })), 400, "invalid_request_error");
    expect(missing).toContain("max_tokens");
    const badBlock = await expectEnvelope(
      await post("/v1/messages", JSON.stringify({ model: "sonnet", max_tokens: 10, messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/bmp", data: "x" } }] }] })),
      400,
      "invalid_request_error",
    );
    expect(badBlock).toContain("messages.0.content.0");
    const budget = await expectEnvelope(
      await post("/v1/messages", JSON.stringify({ model: "sonnet", max_tokens: 1000, thinking: { type: "enabled", budget_tokens: 2000 }, messages: [{ role: "user", content: "x" }] })),
      400,
      "invalid_request_error",
    );
    expect(budget).toContain("max_tokens");
  });

  test("a model name longer than any model id is a 400 naming the field", async () => {
    const message = await expectEnvelope(await post("/v1/messages", JSON.stringify({ model: "m".repeat(300), max_tokens: 10, messages: [{ role: "user", content: "x" }] })), 400, "invalid_request_error");
    expect(message).toContain("model");
  });

  test("a body over the size limit is 413 request_too_large", async () => {
    const huge = JSON.stringify({ model: "sonnet", max_tokens: 10, messages: [{ role: "user", content: "x".repeat(300_000) }] });
    await expectEnvelope(await post("/v1/messages", huge), 413, "request_too_large");
  });

  test("paths match whatever the query string", async () => {
    const response = await post("/v1/messages?beta=true", JSON.stringify({ model: "sonnet", max_tokens: 10, messages: [{ role: "user", content: "x" }] }));
    expect(response.status).toBe(200);
    expect(response.headers.get("request-id")).toMatch(/^req_/);
  });
});

describe("Bedrock exceptions", () => {
  const cases = [
    ["ThrottlingException", 429, "rate_limit_error"],
    ["ServiceUnavailableException", 529, "overloaded_error"],
    ["ModelNotReadyException", 529, "overloaded_error"],
    ["ModelTimeoutException", 504, "timeout_error"],
    ["ValidationException", 400, "invalid_request_error"],
    ["AccessDeniedException", 403, "permission_error"],
    ["ResourceNotFoundException", 404, "not_found_error"],
    ["InternalServerException", 500, "api_error"],
    ["ModelErrorException", 500, "api_error"],
  ] as const;

  for (const [exception, status, type] of cases) {
    for (const model of ["claude-sonnet-4-6", "qwen.qwen3-coder-480b-a35b-v1:0"]) {
      test(`${exception} on ${model} → ${status} ${type}, Bedrock's message kept`, async () => {
        await stack.script({ error: { type: exception, message: `bedrock says ${exception}` } });
        const response = await post("/v1/messages", JSON.stringify({ model, max_tokens: 10, messages: [{ role: "user", content: "x" }] }));
        const message = await expectEnvelope(response, status, type);
        expect(message).toContain(`bedrock says ${exception}`);
        if (status === 429) expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
      });
    }
  }

  test("the SDK sees the mapped error classes", async () => {
    await stack.script({ error: { type: "ValidationException", message: "bad input" } });
    const client = stack.client();
    const error = await client.messages.create({ model: "sonnet", max_tokens: 10, messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as InstanceType<typeof Anthropic.BadRequestError>).requestID).toMatch(/^req_/);
  });

  test("a streamed request that fails before its first byte gets a plain error response", async () => {
    await stack.script({ error: { type: "AccessDeniedException", message: "no access to model" } });
    const response = await post("/v1/messages", JSON.stringify({ model: "sonnet", max_tokens: 10, stream: true, messages: [{ role: "user", content: "x" }] }));
    expect(await expectEnvelope(response, 403, "permission_error")).toContain("no access to model");
  });
});

describe("retries", () => {
  test("the SDK's own retry on a 429 succeeds", async () => {
    await stack.script({ error: { type: "ThrottlingException", message: "slow down" } }, { content: [{ text: "finally" }] });
    const message = await stack.client({ maxRetries: 2 }).messages.create({ model: "sonnet", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
    expect(message.content[0]).toMatchObject({ text: "finally" });
    expect((await stack.requests()).length).toBe(2);
  });
});

describe("retries inside the proxy", () => {
  let retrying: Stack;
  beforeAll(async () => {
    retrying = await startStack({ UPSTREAM_MAX_RETRIES: "2" });
  });
  afterAll(() => retrying.stop());

  test("throttling and 5xx are retried before the first byte", async () => {
    await retrying.script({ error: { type: "ThrottlingException" } }, { error: { type: "InternalServerException" } }, { content: [{ text: "third time" }] });
    const message = await retrying.client().messages.create({ model: "sonnet", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
    expect(message.content[0]).toMatchObject({ text: "third time" });
    expect((await retrying.requests()).length).toBe(3);
  });

  test("a client's mistake is never retried", async () => {
    await retrying.reset();
    await retrying.script({ error: { type: "ValidationException" } });
    const error = await retrying.client().messages.create({ model: "sonnet", max_tokens: 10, messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((await retrying.requests()).length).toBe(1);
  });

  test("nothing is retried once the stream has started", async () => {
    await retrying.reset();
    await retrying.script({ content: [{ text: "abcdefghijkl" }], chunkChars: 2, streamError: { afterEvents: 3, type: "throttlingException", message: "late throttle" } });
    const error = await retrying.client().messages.stream({ model: "sonnet", max_tokens: 10, messages: [{ role: "user", content: "x" }] }).finalMessage().catch((e: unknown) => e);
    expect(String(error)).toContain("late throttle");
    expect((await retrying.requests()).length).toBe(1);
  });
});

describe("master key", () => {
  let guarded: Stack;
  beforeAll(async () => {
    guarded = await startStack({ MASTER_API_KEY: "master-key-0123456789", AUTH_MODE: "keys" });
  });
  afterAll(() => guarded.stop());

  test("requests without the key are 401, with it they pass, by either header", async () => {
    const body = JSON.stringify({ model: "sonnet", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
    const call = (headers: Record<string, string>) => fetch(`${guarded.proxyUrl}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    await expectEnvelope(await call({}), 401, "authentication_error");
    await expectEnvelope(await call({ "x-api-key": "wrong" }), 401, "authentication_error");
    expect((await call({ "x-api-key": "master-key-0123456789" })).status).toBe(200);
    expect((await call({ authorization: "Bearer master-key-0123456789" })).status).toBe(200);
  });

  test("health needs no key", async () => {
    expect((await fetch(`${guarded.proxyUrl}/health`)).status).toBe(200);
  });
});

describe("upstream timeouts", () => {
  let slow: Stack;
  beforeAll(async () => {
    slow = await startStack({ UPSTREAM_FIRST_BYTE_TIMEOUT_MS: "200", UPSTREAM_TOTAL_TIMEOUT_MS: "600", UPSTREAM_MAX_RETRIES: "0" });
  });
  afterAll(() => slow.stop());

  test("no first byte in time is 504 timeout_error", async () => {
    await slow.script({ content: [{ text: "late" }], firstByteDelayMs: 1_000 });
    const response = await fetch(`${slow.proxyUrl}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "sonnet", max_tokens: 10, stream: true, messages: [{ role: "user", content: "x" }] }),
    });
    expect(await expectEnvelope(response, 504, "timeout_error")).toContain("no response within 200 ms");
  });

  test("a stream past the total timeout ends with a timeout_error event", async () => {
    await slow.script({ content: [{ text: "a long answer that keeps going" }], chunkChars: 2, chunkDelayMs: 100 });
    const error = await slow.client().messages.stream({ model: "sonnet", max_tokens: 10, messages: [{ role: "user", content: "x" }] }).finalMessage().catch((e: unknown) => e);
    expect((error as { error?: { error?: { type?: string } } }).error?.error?.type).toBe("timeout_error");
  });
});
