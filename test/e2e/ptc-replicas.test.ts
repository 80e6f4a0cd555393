import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import type { BetaMessageParam } from "@anthropic-ai/sdk/resources/beta/messages/messages";
import { type Emulator, startEmulator } from "../../emulator/server.ts";
import { KeyService } from "../../src/gateway/keys/service.ts";
import { createStore } from "../../src/store/create-store.ts";
import { testAwsCredentials, testAwsEnv } from "../support/aws-credentials.ts";
import { startProxyProcess } from "../support/proxy-process.ts";
import { ask, blocks, calledFromCode, codeResult, codeTurn, expectContainer, modelCalls, modelHistory, ptcRequest, ptcRoutes, resumeWith, serverToolUse, serverToolUseId, text, textTurn, toolUses } from "../support/ptc.ts";
import { type RedisServer, startRedisServer } from "../support/redis-server.ts";
import { type SandboxUnderTest, startSandboxService } from "../support/sandbox-service.ts";
import { emulatorControl, type RecordedRequest } from "../support/stack.ts";

/**
 * A container paused on one proxy replica is resumed on another (issue 10 point 4): two proxy processes
 * sharing one real redis-server (the container store), one SQLite store (the keys), one sandbox service
 * and one emulator. The conversation hops between them at every pause, and another key is refused on both.
 */

let emulator: Emulator;
let redis: RedisServer;
let sandbox: SandboxUnderTest;
let replicas: Array<{ url: string; stop(): Promise<number | null> }> = [];
let secrets: { owner: string; other: string };
let control: ReturnType<typeof emulatorControl>;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, credentials: testAwsCredentials });
  control = emulatorControl(emulator.url);
  redis = await startRedisServer();
  sandbox = await startSandboxService("bwrap", 214_000, { SANDBOX_WORK_DIR_MB: "4" });
  const path = join(mkdtempSync(join(tmpdir(), "abp-ptc-replicas-")), "proxy.db");
  const store = await createStore({ kind: "sqlite", path });
  const keys = new KeyService(store);
  secrets = { owner: (await keys.create({ name: "owner" }, { via: "cli" })).secret, other: (await keys.create({ name: "other" }, { via: "cli" })).secret };
  await store.close();
  const env = { ...testAwsEnv, ...sandbox.proxyEnv, BEDROCK_ENDPOINT: emulator.url, SQLITE_PATH: path, AUTH_MODE: "keys", REDIS_URL: redis.url, PTC_MAX_CONTAINERS_PER_KEY: "50" };
  replicas = await Promise.all([startProxyProcess(env, { name: "replica 1" }), startProxyProcess(env, { name: "replica 2" })]);
}, 60_000);

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  await sandbox?.stop();
  await redis?.stop();
  await emulator?.stop();
});
beforeEach(() => control.reset());

const on = (replica: number, secret: string) => new Anthropic({ baseURL: replicas[replica]?.url, apiKey: secret, maxRetries: 0 });

for (const route of ptcRoutes) {
  for (const stream of [false, true]) {
    describe(`${route.name}, ${stream ? "streamed" : "not streamed"}`, () => {
      test("paused on replica 1, resumed on replica 2, paused again, resumed on replica 1; another key is refused on both", async () => {
        const code = 'a = await get_weather(city="Paris")\nb = await get_weather(city="Oslo")\nprint(a, b, sep="; ")';
        await control.script(codeTurn(code, { text: "Checking." }), textTurn("Mild, then cold."));
        const first: BetaMessageParam[] = [{ role: "user", content: "Paris, then Oslo?" }];
        const pausedOnce = await ask(on(0, secrets.owner), ptcRequest(route.model, first), stream);
        const id = serverToolUseId(pausedOnce);
        expect(blocks(pausedOnce)).toEqual([text("Checking."), serverToolUse(code), calledFromCode(id, "get_weather", { city: "Paris" })]);
        const container = expectContainer(pausedOnce.container).id;

        const second = resumeWith(first, pausedOnce, ["Paris: 18C"]);
        for (const replica of [0, 1]) {
          const refused = await ask(on(replica, secrets.other), ptcRequest(route.model, second, { container }), stream).catch((error: unknown) => error);
          expect(refused).toBeInstanceOf(Anthropic.NotFoundError);
        }
        const pausedTwice = await ask(on(1, secrets.owner), ptcRequest(route.model, second, { container }), stream);
        expect(blocks(pausedTwice)).toEqual([calledFromCode(id, "get_weather", { city: "Oslo" })]);
        expect(expectContainer(pausedTwice.container).id).toBe(container);

        const done = await ask(on(0, secrets.owner), ptcRequest(route.model, resumeWith(second, pausedTwice, ["Oslo: 2C"]), { container }), stream);
        expect(blocks(done)).toEqual([codeResult(id, "Paris: 18C; Oslo: 2C\n"), text("Mild, then cold.")]);

        // The model call made on replica 1 after the resume saw the code's call and output, none of the calls it made.
        const calls = modelCalls(await control.requests());
        expect(calls.length).toBe(2);
        expect(modelHistory(calls[1] as RecordedRequest)).toEqual([
          { role: "user", type: "text", text: "Paris, then Oslo?" },
          { role: "assistant", type: "text", text: "Checking." },
          { role: "assistant", type: "tool_use", id: expect.any(String), name: "code_execution", input: { code } },
          { role: "user", type: "tool_result", id: expect.any(String), text: expect.stringContaining("Paris: 18C; Oslo: 2C") },
        ]);
        const history = modelHistory(calls[1] as RecordedRequest);
        expect(history[3]?.id).toBe(history[2]?.id ?? "");
        const madeByCode = [...toolUses(pausedOnce), ...toolUses(pausedTwice)].map((block) => block.id);
        for (const toolUseId of madeByCode) expect(JSON.stringify(calls[1]?.body)).not.toContain(toolUseId);
      }, 30_000);
    });
  }
}
