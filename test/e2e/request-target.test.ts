import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jsonPost, exchange, rawGet, statuses } from "../support/raw-http.ts";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * A front proxy that lets only /v1 through must be able to trust its prefix rule: no spelling of a
 * path may reach another route than the one it plainly names. Raw sockets, because fetch normalises
 * paths before sending them.
 */

const masterKey = "master-key-for-request-target-tests";
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ MASTER_API_KEY: masterKey });
});
afterAll(() => stack.stop());

const asMaster = { "x-api-key": masterKey };

/** Targets that would read as the admin API's key list once decoded, normalised or case-folded. */
const tricks = [
  "/v1/../admin/api/keys",
  "/v1/./../admin/api/keys",
  "/v1/x/../../admin/api/keys",
  "/./admin/api/keys",
  "/v1/%2e%2e/admin/api/keys",
  "/v1/%2E%2E/admin/api/keys",
  "/v1/.%2e/admin/api/keys",
  "/v1/%2e./admin/api/keys",
  "/v1/..%2fadmin/api/keys",
  "/v1%2f..%2fadmin/api/keys",
  "/v1%2F..%2Fadmin%2Fapi%2Fkeys",
  "/%61dmin/api/keys",
  "/admin/%61pi/keys",
  "/admin/api/%6Beys",
  "/admin/api/keys%2f",
  "//admin/api/keys",
  "/admin//api/keys",
  "/v1//../admin/api/keys",
  "/v1\\..\\admin/api/keys",
  "/v1\\../admin/api/keys",
  "/admin\\api/keys",
  "/ADMIN/api/keys",
  "/Admin/Api/Keys",
  "/admin/API/keys",
  "/admin/api/keys/",
  "/admin/api/keys#x",
  "/v1/messages#/../../admin/api/keys",
  "http://localhost/v1/../admin/api/keys",
  "/v1/models/../../admin/api/keys",
];

describe("request targets", () => {
  test("the plain admin path answers the master key (the control)", async () => {
    const answer = await rawGet(stack.proxyUrl, "/admin/api/keys", asMaster);
    expect(statuses(answer.text)).toEqual([200]);
    expect(answer.text).toContain('"data"');
  });

  for (const target of tricks) {
    test(`${JSON.stringify(target)} never reaches the admin API`, async () => {
      const answer = await rawGet(stack.proxyUrl, target, asMaster);
      const [status] = statuses(answer.text);
      expect([400, 404]).toContain(status ?? 0);
      expect(answer.text).toContain('"type":"error"');
      expect(answer.text).not.toContain('"data"');
    });
  }

  test("dot segments and escapes are refused even where they would land on the same route", async () => {
    for (const target of ["/v1/models/../models", "/v1/%6Dodels", "/x/../health"]) {
      const answer = await rawGet(stack.proxyUrl, target, asMaster);
      expect(statuses(answer.text)).toEqual([400]);
      expect(answer.text).toContain("The request path");
    }
  });

  test("plain paths still work: a query string, an id with escaped reserved characters, a POST with ?beta=true", async () => {
    expect(statuses((await rawGet(stack.proxyUrl, "/v1/models?limit=2", asMaster)).text)).toEqual([200]);
    expect(statuses((await rawGet(stack.proxyUrl, "/v1/models/global.anthropic.claude-sonnet-4-6%3A0", asMaster)).text)).not.toContain(400);
    const arn = encodeURIComponent("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6");
    expect(statuses((await rawGet(stack.proxyUrl, `/v1/models/${arn}`, asMaster)).text)).not.toContain(400);
    const hello = JSON.stringify({ model: "sonnet", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
    const answer = await exchange(stack.proxyUrl, jsonPost("/v1/messages?beta=true", hello, { ...asMaster, connection: "close" }), 5_000);
    expect(statuses(answer.text)).toEqual([200]);
  });
});
