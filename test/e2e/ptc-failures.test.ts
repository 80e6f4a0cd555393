import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import type { BetaMessage, BetaMessageParam } from "@anthropic-ai/sdk/resources/beta/messages/messages";
import { KeyService } from "../../src/gateway/keys/service.ts";
import type { Store } from "../../src/gateway/store.ts";
import type { UsageRecord } from "../../src/gateway/usage/usage-record.ts";
import { createStore } from "../../src/store/create-store.ts";
import {
  ask,
  blocks,
  codeError,
  codeResult,
  codeTool,
  codeTurn,
  echo,
  expectContainer,
  modelCalls,
  modelHistory,
  ptcRequest,
  ptcRoutes,
  resumeWith,
  serverToolUse,
  text,
  textTurn,
  toolUses,
} from "../support/ptc.ts";
import { type SandboxUnderTest, startSandboxService } from "../support/sandbox-service.ts";
import { type RecordedRequest, type Stack, startStack } from "../support/stack.ts";

/**
 * Programmatic Tool Calling when things go wrong (issue 10 points 3, 4, 8, 11), through the official
 * SDK on both upstream paths, streamed and not: code that never ends, the loop's model-call cap, other
 * keys' containers, wrong tool_result ids, the per-key container cap, expired containers, and a sandbox
 * service that is down. Every key here is issued for its one test, so containers never cross tests.
 */

const combos = ptcRoutes.flatMap((route) => [false, true].map((stream) => ({ route, stream, name: `${route.name}, ${stream ? "streamed" : "not streamed"}` })));
const user = (content: string): BetaMessageParam[] => [{ role: "user", content }];
const paris = 'print(await get_weather(city="Paris"))';

/** A proxy in keys mode over its own sandbox service, the SQLite file shared with the test to issue keys and read usage. */
async function keysStack(sandboxEnv: Record<string, string>, proxyEnv: Record<string, string>, uidBase: number) {
  const sandbox = await startSandboxService("bwrap", uidBase, { SANDBOX_WORK_DIR_MB: "4", SANDBOX_MAX_SESSIONS_PER_OWNER: "50", ...sandboxEnv });
  const path = join(mkdtempSync(join(tmpdir(), "abp-ptc-")), "proxy.db");
  // KEY_CACHE_TTL_MS 0: a key disabled through the store is refused on the next request.
  const stack = await startStack({ ...sandbox.proxyEnv, SQLITE_PATH: path, AUTH_MODE: "keys", MASTER_API_KEY: `master-${crypto.randomUUID()}`, KEY_CACHE_TTL_MS: "0", ...proxyEnv });
  const store = await createStore({ kind: "sqlite", path });
  const keys = new KeyService(store);
  return {
    sandbox,
    stack,
    store,
    keys,
    /** A fresh key and the SDK with it. */
    async client(): Promise<{ client: Anthropic; keyId: string }> {
      const { key, secret } = await keys.create({ name: "ptc" }, { via: "cli" });
      return { client: new Anthropic({ baseURL: stack.proxyUrl, apiKey: secret, maxRetries: 0 }), keyId: key.id };
    },
    async stop() {
      await store.close();
      await stack.stop();
      await sandbox.stop();
    },
  };
}

/** The request fails with the SDK's error of `status`, the Anthropic envelope's `type`, a message matching `message`. */
async function expectRefused(request: Promise<unknown>, status: number, type: string, message: RegExp): Promise<void> {
  const error = await request.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof Anthropic.APIError)) throw new Error(`expected a ${status}, got ${String(error)}`);
  expect(error.status).toBe(status);
  expect(error.error).toMatchObject({ type: "error", error: { type, message: expect.stringMatching(message) } });
}

describe("with a short execution timeout, a model-call cap of 2 and 2 containers per key", () => {
  let proxy: Awaited<ReturnType<typeof keysStack>>;
  beforeAll(async () => {
    proxy = await keysStack({ SANDBOX_EXEC_TIMEOUT_S: "2" }, { PTC_MAX_MODEL_CALLS: "2", PTC_MAX_CONTAINERS_PER_KEY: "2" }, 212_000);
  }, 60_000);
  afterAll(() => proxy?.stop());
  beforeEach(() => proxy.stack.reset());

  /** Usage is written off the request path: wait for the record to land. */
  async function usageOf(store: Store, keyId: string): Promise<UsageRecord[]> {
    for (let i = 0; i < 100; i++) {
      const records = await store.latestUsage(keyId, 10);
      if (records.length > 0) return records;
      await Bun.sleep(20);
    }
    throw new Error(`no usage record for ${keyId}`);
  }

  for (const { route, stream, name } of combos) {
    describe(name, () => {
      test("an endless loop: execution_time_exceeded, which the model is told, and no hang", async () => {
        const { client } = await proxy.client();
        await proxy.stack.script(codeTurn("while True:\n    pass"), textTurn("That took too long."));
        const started = Date.now();
        const message = await ask(client, ptcRequest(route.model, user("Loop forever."), { tools: [codeTool] }), stream);
        expect(Date.now() - started).toBeLessThan(10_000);
        const id = message.content.find((block) => block.type === "server_tool_use")?.id ?? "";
        expect(blocks(message)).toEqual([serverToolUse("while True:\n    pass"), codeError(id, "execution_time_exceeded"), text("That took too long.")]);
        expect(message.stop_reason).toBe("end_turn");
        const calls = modelCalls(await proxy.stack.requests());
        expect(calls.length).toBe(2);
        expect(modelHistory(calls[1] as RecordedRequest).at(-1)).toMatchObject({ role: "user", type: "tool_result" });
      }, 20_000);

      test("the loop stops at PTC_MAX_MODEL_CALLS with pause_turn, usage summed and recorded; sent back as is, it goes on", async () => {
        const { client, keyId } = await proxy.client();
        const usage = { inputTokens: 100, outputTokens: 10 };
        await proxy.stack.script(codeTurn("print(1)", { usage }), codeTurn("print(2)", { usage }), textTurn("Done at last.", { inputTokens: 300, outputTokens: 30 }));
        const first = user("Count.");
        const paused = await ask(client, ptcRequest(route.model, first, { tools: [codeTool] }), stream);
        const [one, two] = paused.content.filter((block) => block.type === "server_tool_use").map((block) => block.id);
        expect(blocks(paused)).toEqual([serverToolUse("print(1)"), codeResult(one ?? "", "1\n"), serverToolUse("print(2)"), codeResult(two ?? "", "2\n")]);
        expect(paused.stop_reason).toBe("pause_turn");
        expect(paused.usage).toMatchObject({ input_tokens: 200, output_tokens: 20 });
        const container = expectContainer(paused.container);
        expect((await usageOf(proxy.store, keyId))[0]).toMatchObject({ input_tokens: 200, output_tokens: 20, status: 200 });

        const resumed = await ask(client, ptcRequest(route.model, [...first, echo(paused)], { tools: [codeTool], container: container.id }), stream);
        expect(blocks(resumed)).toEqual([text("Done at last.")]);
        expect(resumed.stop_reason).toBe("end_turn");
        const calls = modelCalls(await proxy.stack.requests());
        expect(calls.length).toBe(3);
        expect(modelHistory(calls[2] as RecordedRequest).map((block) => `${block.role} ${block.type}`)).toEqual([
          "user text",
          "assistant tool_use",
          "user tool_result",
          "assistant tool_use",
          "user tool_result",
        ]);
      }, 20_000);

      test("another key's container is refused like an unknown one (404), and its owner still resumes it", async () => {
        const owner = await proxy.client();
        const other = await proxy.client();
        await proxy.stack.script(codeTurn(paris), textTurn("Sunny."));
        const first = user("Weather?");
        const paused = await ask(owner.client, ptcRequest(route.model, first), stream);
        const container = expectContainer(paused.container);
        const resume = ptcRequest(route.model, resumeWith(first, paused, ["Paris: 18C"]), { container: container.id });
        await expectRefused(ask(other.client, resume, stream), 404, "not_found_error", new RegExp(container.id));
        await expectRefused(ask(other.client, { ...resume, container: "container_0000000000000000000000" }, stream), 404, "not_found_error", /container_0000000000000000000000/);
        const done = await ask(owner.client, resume, stream);
        expect(blocks(done)[0]).toMatchObject({ type: "code_execution_tool_result", content: { stdout: "Paris: 18C\n" } });
      }, 20_000);

      test("a disabled or revoked key's paused container cannot be resumed; enabled again, the key resumes it", async () => {
        const { client, keyId } = await proxy.client();
        await proxy.stack.script(codeTurn(paris), textTurn("Sunny."));
        const first = user("Weather?");
        const paused = await ask(client, ptcRequest(route.model, first), stream);
        const resume = ptcRequest(route.model, resumeWith(first, paused, ["Paris: 18C"]), { container: expectContainer(paused.container).id });
        await proxy.keys.update(keyId, { status: "disabled", status_reason: "paused for review" }, { via: "cli" });
        await expectRefused(ask(client, resume, stream), 403, "permission_error", /disabled: paused for review/);
        await proxy.keys.update(keyId, { status: "active", status_reason: null }, { via: "cli" });
        const done = await ask(client, resume, stream);
        expect(blocks(done)[0]).toMatchObject({ type: "code_execution_tool_result", content: { stdout: "Paris: 18C\n" } });
        await proxy.stack.script(codeTurn(paris));
        const pausedAgain = await ask(client, ptcRequest(route.model, first), stream);
        await proxy.keys.revoke(keyId, { via: "cli" });
        const resumeAgain = ptcRequest(route.model, resumeWith(first, pausedAgain, ["Paris: 18C"]), { container: expectContainer(pausedAgain.container).id });
        await expectRefused(ask(client, resumeAgain, stream), 403, "permission_error", /revoked/);
      }, 20_000);

      test("tool results for ids the code is not waiting for, or missing ones: a 400 naming the ids", async () => {
        const { client } = await proxy.client();
        await proxy.stack.script(codeTurn('import asyncio\nprint(await asyncio.gather(get_weather(city="Paris"), get_weather(city="Oslo")))'), textTurn("Fine."));
        const first = user("Two cities?");
        const paused = await ask(client, ptcRequest(route.model, first), stream);
        const [paris, oslo] = toolUses(paused).map((block) => block.id);
        const container = expectContainer(paused.container).id;
        const missing: BetaMessageParam[] = [...first, echo(paused), { role: "user", content: [{ type: "tool_result", tool_use_id: paris ?? "", content: "18C" }] }];
        await expectRefused(ask(client, ptcRequest(route.model, missing, { container }), stream), 400, "invalid_request_error", new RegExp(oslo ?? "-"));
        const unknown: BetaMessageParam[] = [
          ...first,
          echo(paused),
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: paris ?? "", content: "18C" },
              { type: "tool_result", tool_use_id: "toolu_not_asked_for", content: "?" },
            ],
          },
        ];
        await expectRefused(ask(client, ptcRequest(route.model, unknown, { container }), stream), 400, "invalid_request_error", /toolu_not_asked_for/);
        // Both refusals left the paused code as it was.
        const done = await ask(client, ptcRequest(route.model, resumeWith(first, paused, ["18C", "2C"]), { container }), stream);
        expect(blocks(done)[0]).toMatchObject({ type: "code_execution_tool_result", content: { stdout: "['18C', '2C']\n" } });
      }, 20_000);

      test("past PTC_MAX_CONTAINERS_PER_KEY the code tool answers too_many_requests", async () => {
        const { client } = await proxy.client();
        for (const n of [1, 2]) {
          await proxy.stack.script(codeTurn(`print(${n})`), textTurn("ok"));
          const message = await ask(client, ptcRequest(route.model, user(`run ${n}`), { tools: [codeTool] }), stream);
          expect(blocks(message)[1]).toMatchObject({ type: "code_execution_tool_result", content: { type: "code_execution_result", stdout: `${n}\n` } });
        }
        await proxy.stack.script(codeTurn("print(3)"), textTurn("No room."));
        const message = await ask(client, ptcRequest(route.model, user("run 3"), { tools: [codeTool] }), stream);
        const id = message.content.find((block) => block.type === "server_tool_use")?.id ?? "";
        expect(blocks(message)).toEqual([serverToolUse("print(3)"), codeError(id, "too_many_requests"), text("No room.")]);
        expect(message.stop_reason).toBe("end_turn");
      }, 20_000);
    });
  }
});

describe("containers that expire (SANDBOX_IDLE_TIMEOUT_S=0.5), then a sandbox service that is down", () => {
  let sandbox: SandboxUnderTest;
  let stack: Stack;
  beforeAll(async () => {
    sandbox = await startSandboxService("bwrap", 213_000, { SANDBOX_IDLE_TIMEOUT_S: "0.5", SANDBOX_TOOL_RESULT_TIMEOUT_S: "0.5", SANDBOX_WORK_DIR_MB: "4" });
    stack = await startStack({ ...sandbox.proxyEnv, PTC_MAX_CONTAINERS_PER_KEY: "50", SANDBOX_REQUEST_TIMEOUT_MS: "3000" });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await sandbox?.stop();
  });
  beforeEach(() => stack.reset());

  for (const { route, stream, name } of combos) {
    test(`${name}: resuming an expired container is a 404 not_found_error`, async () => {
      await stack.script(codeTurn(paris));
      const first = user("Weather?");
      const paused = await ask(stack.client(), ptcRequest(route.model, first), stream);
      const container = expectContainer(paused.container);
      expect(Date.parse(container.expires_at) - Date.now()).toBeLessThan(5_000);
      await Bun.sleep(Math.max(0, Date.parse(container.expires_at) - Date.now()) + 1_000);
      const resume = ptcRequest(route.model, resumeWith(first, paused, ["Paris: 18C"]), { container: container.id });
      await expectRefused(ask(stack.client(), resume, stream), 404, "not_found_error", new RegExp(container.id));
    }, 20_000);
  }

  describe("the sandbox service down", () => {
    let paused: { first: BetaMessageParam[]; message: BetaMessage } | undefined;
    beforeAll(async () => {
      // A container paused while the service was up, to resume once it is gone.
      await stack.reset();
      await stack.script(codeTurn(paris));
      const first = user("Weather?");
      paused = { first, message: await ask(stack.client(), ptcRequest(ptcRoutes[0].model, first), false) };
      await sandbox.stop();
    }, 30_000);

    for (const { route, stream, name } of combos) {
      test(`${name}: the code call answers unavailable, the model is told, no 500 and no hang`, async () => {
        await stack.script(codeTurn("print(1)"), textTurn("The sandbox is down."));
        const started = Date.now();
        const message = await ask(stack.client(), ptcRequest(route.model, user("Run it."), { tools: [codeTool] }), stream);
        expect(Date.now() - started).toBeLessThan(10_000);
        const id = message.content.find((block) => block.type === "server_tool_use")?.id ?? "";
        expect(blocks(message)).toEqual([serverToolUse("print(1)"), codeError(id, "unavailable"), text("The sandbox is down.")]);
        expect(message.stop_reason).toBe("end_turn");
      }, 20_000);
    }

    test("resuming a container paused before the service went away: unavailable, the model is told, no 500 and no hang", async () => {
      if (!paused) throw new Error("nothing paused");
      const { first, message } = paused;
      await stack.script(textTurn("The sandbox went away."));
      const started = Date.now();
      const { betas, ...body } = ptcRequest(ptcRoutes[0].model, resumeWith(first, message, ["Paris: 18C"]), { container: expectContainer(message.container).id });
      const response = await fetch(`${stack.proxyUrl}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "anthropic-beta": String(betas) },
        body: JSON.stringify(body),
      });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(response.status).toBe(200);
      const answer = (await response.json()) as { content?: Array<{ type: string; content?: unknown }> };
      expect(answer.content?.[0]).toMatchObject({ type: "code_execution_tool_result", content: { type: "code_execution_tool_result_error", error_code: "unavailable" } });
      expect(answer.content?.[1]).toMatchObject({ type: "text", text: "The sandbox went away." });
      // /ready says the sandbox service is not there, and stays 200: only PTC needs it.
      const ready = await fetch(`${stack.proxyUrl}/ready`);
      expect({ status: ready.status, readiness: ((await ready.json()) as { status: string }).status }).toEqual({ status: 200, readiness: "degraded" });
    }, 20_000);
  });
});
