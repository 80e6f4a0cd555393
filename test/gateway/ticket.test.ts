import { afterEach, describe, expect, test } from "bun:test";
import { createLogger } from "../../lib/log.ts";
import { ApiError } from "../../src/anthropic/errors.ts";
import type { Usage } from "../../src/anthropic/messages.ts";
import { messagesRequestSchema } from "../../src/anthropic/schema.ts";
import { createModelResolver } from "../../src/bedrock/models.ts";
import { prepareRequest } from "../../src/bedrock/prepare.ts";
import { type StreamChunk, UpstreamCall, type UpstreamStream } from "../../src/bedrock/upstream.ts";
import { Budgets } from "../../src/gateway/budget/budgets.ts";
import { Gateway } from "../../src/gateway/gateway.ts";
import { KeyCache } from "../../src/gateway/keys/key-cache.ts";
import { KeyService } from "../../src/gateway/keys/service.ts";
import { PriceBook } from "../../src/gateway/pricing/price-book.ts";
import { MemoryRateLimiter } from "../../src/gateway/rate-limit/memory.ts";
import { StoreOutage } from "../../src/gateway/store-outage.ts";
import { BatchWriter } from "../../src/gateway/usage/batch-writer.ts";
import type { UsageRecordInput } from "../../src/gateway/usage/usage-record.ts";
import { createStore } from "../../src/store/create-store.ts";
import { pricingSeed } from "../../src/store/pricing-seed.ts";

/**
 * A request's lifecycle is the gateway's ticket: admitted with its reservation (input estimate +
 * `max_tokens`), then run to one recorded outcome (200, failed before the first byte, failed
 * mid-stream, client gone = 499) with its first-token time. Real parts throughout: an in-memory
 * SQLite store, the memory rate limiter, the batch writer, price book and budgets; only the answer
 * itself is a function of the test, standing where Bedrock's upstream would.
 */

const quiet = createLogger("error", {}, () => {});
const defaults = { opus: "global.anthropic.claude-opus-4-6-v1", sonnet: "global.anthropic.claude-sonnet-4-6", haiku: "global.anthropic.claude-haiku-4-5-20251001-v1:0" };
const model = createModelResolver({}, defaults).resolve("sonnet");
const request = messagesRequestSchema.parse({ model: "sonnet", max_tokens: 1_000, messages: [{ role: "user", content: "hello" }] });
const prepared = prepareRequest(request, model, [], quiet);
const used: Usage = { input_tokens: 12, output_tokens: 34, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function setup() {
  const store = await createStore({ kind: "sqlite", path: ":memory:" });
  await store.seedPricing(pricingSeed);
  const outage = new StoreOutage(quiet);
  const limiter = new MemoryRateLimiter();
  const options = { maxBatch: 100, flushIntervalMs: 10, retryDelayMs: 10, maxRetryDelayMs: 100, shutdownTimeoutMs: 1_000, log: quiet };
  const usage = new BatchWriter<UsageRecordInput>((batch) => store.writeUsage(batch).then(() => undefined), options);
  const now = () => new Date();
  const budgets = new Budgets({ store, outage, now, graceMs: 60_000 });
  const keys = new KeyCache(store, outage, 1_000);
  const prices = new PriceBook(store, outage, quiet);
  const gateway = new Gateway({ store, keys, limiter, usage, prices, budgets, outage, masterKey: undefined, authMode: "keys", defaults: { limits: {}, tier: "default" }, now, log: quiet });
  closers.push(async () => {
    await usage.close();
    await store.close();
  });
  const { key, secret } = await new KeyService(store).create({ name: "k", tpm: 10_000 }, { via: "cli" });
  const principal = await gateway.authenticate(secret);
  let requests = 0;
  /** Admits one request and opens its upstream call; `client` stands for the client's connection. */
  const admit = async () => {
    const requestId = `req_${++requests}`;
    const ticket = await gateway.admit(principal, prepared, requestId);
    const client = new AbortController();
    const call = new UpstreamCall(client.signal, { firstByteMs: 5_000, totalMs: 10_000 }, { maxRetries: 0, baseDelayMs: 1 }, { messageId: "msg_1", log: quiet, serviceTier: ticket.tier });
    return { ticket, call, client, requestId };
  };
  const recorded = async (requestId: string) => {
    await usage.flush();
    const record = await store.getUsage(requestId);
    if (!record) throw new Error(`no usage record for ${requestId}`);
    return record;
  };
  return { admit, recorded, limiter, key };
}

function chunk(type: string): StreamChunk {
  return { type, data: JSON.stringify({ type }) };
}

/** A stream as an upstream gives it: `events` then, if given, a failure; the call's abort ends it like a closed connection. */
function upstreamStream(call: UpstreamCall, events: StreamChunk[], failure?: Error): UpstreamStream {
  async function* chunks() {
    for (const event of events) {
      if (call.signal.aborted) throw new Error("The operation was aborted");
      yield event;
      await Bun.sleep(1);
    }
    if (failure) throw failure;
  }
  return { chunks: chunks(), usage: () => used };
}

async function drain(stream: UpstreamStream): Promise<unknown> {
  try {
    for await (const _ of stream.chunks);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("the ticket", () => {
  test("admission reserves the input estimate plus max_tokens, and its limit headers say so", async () => {
    const { admit } = await setup();
    const { ticket } = await admit();
    const reserved = prepared.estimatedInputTokens + 1_000;
    expect(ticket.headers()["anthropic-ratelimit-tokens-remaining"]).toBe(String(10_000 - reserved));
  });

  test("a whole answer is recorded as 200 with its usage; no first token is timed", async () => {
    const { admit, recorded } = await setup();
    const { ticket, call, requestId } = await admit();
    const message = await ticket.complete(call, async () => ({ message: { id: "msg_1", usage: used }, usage: used }));
    expect(message).toEqual({ id: "msg_1", usage: used });
    const record = await recorded(requestId);
    expect(record).toMatchObject({ status: 200, error_type: null, input_tokens: 12, output_tokens: 34, service_tier: "default", time_to_first_token_ms: null });
    expect(record.cost_usd).toBeGreaterThan(0);
  });

  test("an answer that fails before its first byte is recorded with its error and no tokens, and the error goes on", async () => {
    const { admit, recorded } = await setup();
    const { ticket, call, requestId } = await admit();
    const overloaded = new ApiError("overloaded_error", "Bedrock is busy");
    expect(await ticket.complete(call, () => Promise.reject(overloaded)).catch((error: unknown) => error)).toBe(overloaded);
    expect(await recorded(requestId)).toMatchObject({ status: 529, error_type: "overloaded_error", input_tokens: 0, output_tokens: 0, cost_usd: 0 });
  });

  test("a client that leaves while the answer is awaited is recorded as 499 client_closed, whatever error its leaving caused", async () => {
    const { admit, recorded } = await setup();
    const { ticket, call, client, requestId } = await admit();
    const answer = () => new Promise<never>((_, reject) => call.signal.addEventListener("abort", () => reject(new Error("The operation was aborted"))));
    const completing = ticket.complete(call, answer).catch((error: unknown) => error);
    client.abort();
    expect(await completing).toBeInstanceOf(Error);
    expect(await recorded(requestId)).toMatchObject({ status: 499, error_type: "client_closed" });
  });

  test("a stream is recorded once its chunks end: 200, its usage and the time of its first content delta", async () => {
    const { admit, recorded } = await setup();
    const { ticket, call, requestId } = await admit();
    const stream = await ticket.stream(call, async () => upstreamStream(call, [chunk("message_start"), chunk("content_block_start"), chunk("content_block_delta"), chunk("message_stop")]));
    expect(await drain(stream)).toBeUndefined();
    const record = await recorded(requestId);
    expect(record).toMatchObject({ status: 200, error_type: null, output_tokens: 34 });
    expect(record.time_to_first_token_ms).not.toBeNull();
    expect(record.time_to_first_token_ms ?? Infinity).toBeLessThanOrEqual(record.latency_ms);
  });

  test("a stream that fails to open is recorded like a failed answer", async () => {
    const { admit, recorded } = await setup();
    const { ticket, call, requestId } = await admit();
    const throttled = new ApiError("rate_limit_error", "Too many requests");
    expect(await ticket.stream(call, () => Promise.reject(throttled)).catch((error: unknown) => error)).toBe(throttled);
    expect(await recorded(requestId)).toMatchObject({ status: 429, error_type: "rate_limit_error", output_tokens: 0, time_to_first_token_ms: null });
  });

  test("a stream that fails mid-way is recorded with its error and the usage so far; its chunks throw the error on", async () => {
    const { admit, recorded } = await setup();
    const { ticket, call, requestId } = await admit();
    const timeout = new ApiError("timeout_error", "The request took too long");
    const stream = await ticket.stream(call, async () => upstreamStream(call, [chunk("message_start"), chunk("content_block_delta")], timeout));
    expect(await drain(stream)).toBe(timeout);
    const record = await recorded(requestId);
    expect(record).toMatchObject({ status: 504, error_type: "timeout_error", output_tokens: 34 });
    expect(record.time_to_first_token_ms).not.toBeNull();
  });

  test("a client that leaves mid-stream is recorded as 499 client_closed", async () => {
    const { admit, recorded } = await setup();
    const { ticket, call, client, requestId } = await admit();
    const stream = await ticket.stream(call, async () => upstreamStream(call, Array.from({ length: 50 }, () => chunk("content_block_delta"))));
    const draining = drain(stream);
    await Bun.sleep(5);
    client.abort();
    expect(await draining).toBeInstanceOf(Error);
    expect(await recorded(requestId)).toMatchObject({ status: 499, error_type: "client_closed" });
  });

  test("the tokens not used go back to the key's minute once the request is recorded", async () => {
    const { admit, recorded, limiter, key } = await setup();
    const { ticket, call, requestId } = await admit();
    await ticket.complete(call, async () => ({ message: { usage: used }, usage: used }));
    await recorded(requestId);
    const after = await limiter.admit(key.id, { tpm: 10_000 }, 0);
    // Without the refund the minute would lack the whole reservation (~1,000 tokens) for seconds yet.
    expect(after.admitted && after.tokens?.remaining).toBeGreaterThanOrEqual(10_000 - 12 - 34);
  });
});
