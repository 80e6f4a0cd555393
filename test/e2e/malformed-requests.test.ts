import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStore } from "../../src/store/create-store.ts";
import type { Store } from "../../src/gateway/store.ts";
import type { UsageRecord } from "../../src/gateway/usage/usage-record.ts";
import { exchange, jsonPost, openConnection, statuses } from "../support/raw-http.ts";
import { type Stack, startStack } from "../support/stack.ts";

/** What a hostile or broken client can send: bodies nested without end, pipelined requests, a client that leaves early. */

let stack: Stack;
let store: Store;

beforeAll(async () => {
  const path = join(mkdtempSync(join(tmpdir(), "abp-malformed-")), "proxy.db");
  stack = await startStack({ SQLITE_PATH: path });
  store = await createStore({ kind: "sqlite", path });
});
afterAll(async () => {
  await store.close();
  await stack.stop();
});

const hello = { model: "claude-sonnet-4-6", max_tokens: 20, messages: [{ role: "user", content: "hello" }] };
const post = (path: string, body: string, signal?: AbortSignal) =>
  fetch(`${stack.proxyUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body, signal });

/** A tool whose input_schema nests `depth` objects (JSON.stringify itself overflows at 50,000, so the text is built). */
function withNestedSchema(depth: number): string {
  const nested = `${'{"a":'.repeat(depth)}{}${"}".repeat(depth)}`;
  const tools = `[{"name":"deep","input_schema":{"type":"object","properties":${nested}}}]`;
  return `${JSON.stringify(hello).slice(0, -1)},"tools":${tools}}`;
}

/** The usage records of failed requests, once `count` of them have landed (every other request here succeeds). */
async function failures(count: number): Promise<UsageRecord[]> {
  for (let i = 0; i < 200; i++) {
    const records = (await store.latestUsage("anonymous", 1_000)).filter((record) => record.status !== 200 && record.status !== 400);
    if (records.length >= count) return records;
    await Bun.sleep(20);
  }
  throw new Error(`expected ${count} usage records of failed requests`);
}

describe("nesting depth", () => {
  for (const path of ["/v1/messages", "/v1/messages/count_tokens"]) {
    test(`${path}: a body nested 50,000 deep is a 400 naming the limit, not a 500`, async () => {
      const response = await post(path, withNestedSchema(50_000));
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { type: string; message: string } };
      expect(body.error.type).toBe("invalid_request_error");
      expect(body.error.message).toContain("nested deeper than 128 levels");
    });
  }

  test("one level past the limit is refused; schemas as deep as real tools' pass", async () => {
    expect((await post("/v1/messages/count_tokens", withNestedSchema(130))).status).toBe(400);
    expect((await post("/v1/messages/count_tokens", withNestedSchema(20))).status).toBe(200);
    expect((await post("/v1/messages", withNestedSchema(20))).status).toBe(200);
  });
});

describe("a client that leaves", () => {
  test("a non-streaming request whose client disconnects is recorded as 499 client_closed", async () => {
    await stack.script({ content: [{ text: "too late" }], firstByteDelayMs: 2_000 });
    const left = await post("/v1/messages", JSON.stringify(hello), AbortSignal.timeout(300)).catch((error: unknown) => error);
    expect(left).toBeInstanceOf(Error);
    expect((await failures(1)).map((r) => `${r.status} ${r.error_type}`)).toEqual(["499 client_closed"]);
  });
});

describe("pipelined requests", () => {
  /**
   * Bun 1.4 (uWS) closes a connection when a request arrives behind one whose answer is still being
   * computed, and drops that answer (oven-sh/bun#38128, open). No handler can prevent it; what the
   * proxy owes is no hang, and a usage record that says the client's request went unanswered.
   */
  test("two POSTs written back to back: the connection is closed at once (no hang), and the request that began is recorded as 499", async () => {
    const request = jsonPost("/v1/messages", JSON.stringify(hello));
    const answer = await exchange(stack.proxyUrl, request + request, 10_000);
    expect(answer.closedByServer).toBe(true);
    expect(answer.elapsedMs).toBeLessThan(5_000);
    expect((await failures(2)).map((r) => `${r.status} ${r.error_type}`)).toEqual(["499 client_closed", "499 client_closed"]);
  }, 20_000);

  test("the same two requests one after the other on one keep-alive connection are both answered", async () => {
    const request = jsonPost("/v1/messages", JSON.stringify(hello));
    const { socket, opened, received } = openConnection(stack.proxyUrl);
    await opened;
    socket.write(request);
    while (statuses(received()).length < 1) await Bun.sleep(10);
    socket.write(request);
    while (statuses(received()).length < 2) await Bun.sleep(10);
    socket.destroy();
    expect(statuses(received())).toEqual([200, 200]);
  });
});
