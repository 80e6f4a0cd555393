import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import Anthropic from "@anthropic-ai/sdk";
import type { BetaMessageParam } from "@anthropic-ai/sdk/resources/beta/messages/messages";
import { z } from "zod";
import type { Store } from "../../src/gateway/store.ts";
import type { UsageRecord } from "../../src/gateway/usage/usage-record.ts";
import { testAwsEnv } from "../support/aws-credentials.ts";
import { type DynamoDbLocal, startDynamoDbLocal } from "../support/dynamodb-local.ts";
import { type EmulatorProcess, startEmulatorProcess } from "../support/emulator-process.ts";
import { type LoadBalancer, replicaHeader, startLoadBalancer } from "../support/load-balancer.ts";
import { startProxyProcess, temporarySpoolPath } from "../support/proxy-process.ts";
import { ask, blocks, calledFromCode, codeResult, codeTurn, expectContainer, ptcRequest, resumeWith, serverToolUse, serverToolUseId, text, textTurn } from "../support/ptc.ts";
import { type RedisServer, startRedisServer } from "../support/redis-server.ts";
import { type SandboxUnderTest, startSandboxService } from "../support/sandbox-service.ts";
import type { ServiceProcess } from "../support/service-process.ts";
import { emulatorControl } from "../support/stack.ts";

/**
 * Scale-out on one machine (issue 12 point 5): three proxy processes behind a load balancer
 * (test/support/load-balancer.ts), sharing one redis-server (token buckets, PTC containers), one
 * DynamoDB Local (keys, usage; SQLite is one host's), one sandbox service and one emulator process.
 * Replica 2 is the one stopped mid-load: it writes usage only when it shuts down, so what it served
 * reaches the store only through its SIGTERM flush.
 */

/** Smaller than the default (1 s), so the disable test is quick; the bound it proves is the same. */
const keyCacheTtlMs = 500;
const masterKey = "fleet-master-key-0123456789";
const sonnet = "claude-sonnet-4-6";
/** Three replicas opening DynamoDB Local at once (each seeds the price table) are slow on a loaded machine. */
const startupTimeoutMs = 60_000;

let emulator: EmulatorProcess;
let redis: RedisServer;
let dynamo: DynamoDbLocal;
let sandbox: SandboxUnderTest;
let store: Store;
let replicas: Array<ServiceProcess & { url: string }> = [];
let balancer: LoadBalancer;
const killedSpool = temporarySpoolPath();

beforeAll(async () => {
  [emulator, redis, dynamo, sandbox] = await Promise.all([
    startEmulatorProcess(),
    startRedisServer(),
    startDynamoDbLocal(),
    startSandboxService("bwrap", 217_000, { SANDBOX_WORK_DIR_MB: "4" }),
  ]);
  const tablePrefix = `fleet-${Date.now()}-`;
  // The tables exist before the replicas start, so three of them do not race to create them.
  store = await dynamo.openStore(tablePrefix, { createTables: true });
  const env = {
    ...dynamo.proxyEnv(tablePrefix),
    // DynamoDB Local takes any credentials: the ones the emulator verifies serve both.
    ...testAwsEnv,
    ...sandbox.proxyEnv,
    BEDROCK_ENDPOINT: emulator.url,
    AUTH_MODE: "keys",
    MASTER_API_KEY: masterKey,
    REDIS_URL: redis.url,
    KEY_CACHE_TTL_MS: String(keyCacheTtlMs),
    USAGE_FLUSH_INTERVAL_MS: "50",
  };
  replicas = await Promise.all([
    startProxyProcess(env, { name: "replica 0", startupTimeoutMs }),
    startProxyProcess(env, { name: "replica 1", startupTimeoutMs }),
    startProxyProcess({ ...env, USAGE_FLUSH_INTERVAL_MS: "600000", USAGE_SPOOL_PATH: killedSpool }, { name: "replica 2", startupTimeoutMs }),
  ]);
  balancer = startLoadBalancer(replicas.map((replica) => replica.url));
  // DynamoDB Local and three replicas seeding its price table: most of the file's time, and minutes on a loaded machine.
}, 240_000);

afterAll(async () => {
  await balancer?.stop();
  await Promise.all(replicas.map((replica) => replica.stop()));
  await store?.close();
  await Promise.all([sandbox?.stop(), redis?.stop(), dynamo?.dispose(), emulator?.stop()]);
}, 30_000);

const control = () => emulatorControl(emulator.url);
beforeEach(() => control().reset());

const issuedKey = z.object({ id: z.string(), key: z.string() });

async function createKey(settings: { name: string; rpm?: number }): Promise<z.infer<typeof issuedKey>> {
  const created = await admin(balancer.url, "/keys", { method: "POST", body: JSON.stringify(settings) });
  expect(created.status).toBe(201);
  return issuedKey.parse(await created.json());
}

function admin(base: string, path: string, init: RequestInit): Promise<Response> {
  return fetch(`${base}/admin/api${path}`, { ...init, headers: { "content-type": "application/json", "x-api-key": masterKey } });
}

function post(base: string, secret: string, options: { stream?: boolean; text?: string } = {}): Promise<Response> {
  const body = { model: sonnet, max_tokens: 10, stream: options.stream ?? false, messages: [{ role: "user", content: options.text ?? "hello" }] };
  return fetch(`${base}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": secret }, body: JSON.stringify(body) });
}

const servedBy = (response: Response) => Number(response.headers.get(replicaHeader));
const errorEnvelope = (type: string) => ({ type: "error", error: { type, message: expect.any(String) } });

describe("three replicas behind a load balancer", () => {
  test("a key's rpm is exact across them", async () => {
    const rpm = 20;
    const sent = 75;
    const { key } = await createKey({ name: "rpm", rpm });
    const answers = await Promise.all(Array.from({ length: sent }, () => post(balancer.url, key)));
    // Round-robin: each replica took a third of the burst.
    for (const replica of [0, 1, 2]) expect(answers.filter((answer) => servedBy(answer) === replica).length).toBe(sent / 3);
    expect(answers.filter((answer) => answer.status === 200).length).toBe(rpm);
    const limited = answers.filter((answer) => answer.status === 429);
    expect(limited.length).toBe(sent - rpm);
    for (const answer of limited) expect(await answer.json()).toMatchObject(errorEnvelope("rate_limit_error"));
  }, 30_000);

  test("a key disabled through one replica's admin API is refused by all within the key cache TTL", async () => {
    const { id, key } = await createKey({ name: "disabled later" });
    // Every replica has the key cached as active.
    for (const replica of replicas) expect((await post(replica.url, key)).status).toBe(200);
    const disabled = await admin(replicas[0]?.url ?? "", `/keys/${id}`, { method: "PATCH", body: JSON.stringify({ status: "disabled" }) });
    expect(disabled.status).toBe(200);
    const disabledAt = performance.now();
    const windows = await Promise.all(replicas.map((replica) => acceptedFor(replica.url, key, disabledAt)));
    console.log(`KEY_CACHE_TTL_MS ${keyCacheTtlMs}: the disabled key was last accepted ${windows.map((ms) => ms.toFixed(0)).join(", ")} ms after the change (replicas 0, 1, 2)`);
    // The replica that made the change forgets its cache at once; the others trust theirs for at most the TTL (and a store read).
    expect(windows[0]).toBe(0);
    for (const window of windows) expect(window).toBeLessThan(keyCacheTtlMs + 1_000);
    const answers = await Promise.all(Array.from({ length: 6 }, () => post(balancer.url, key)));
    expect(new Set(answers.map(servedBy))).toEqual(new Set([0, 1, 2]));
    for (const answer of answers) {
      expect(answer.status).toBe(403);
      expect(await answer.json()).toMatchObject(errorEnvelope("permission_error"));
    }
  }, 30_000);

  test("a PTC container paused through one replica is resumed through another, and through the load balancer", async () => {
    const code = 'a = await get_weather(city="Paris")\nb = await get_weather(city="Oslo")\nc = await get_weather(city="Rome")\nprint(a, b, c, sep="; ")';
    await control().script(codeTurn(code), textTurn("Mild, cold, warm."));
    const { key } = await createKey({ name: "ptc" });
    const on = (base: string) => new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0 });

    const first: BetaMessageParam[] = [{ role: "user", content: "Paris, Oslo, Rome?" }];
    const onZero = await ask(on(replicas[0]?.url ?? ""), ptcRequest(sonnet, first), false);
    const id = serverToolUseId(onZero);
    expect(blocks(onZero)).toEqual([serverToolUse(code), calledFromCode(id, "get_weather", { city: "Paris" })]);
    const container = expectContainer(onZero.container).id;

    const second = resumeWith(first, onZero, ["Paris: 18C"]);
    const onOne = await ask(on(replicas[1]?.url ?? ""), ptcRequest(sonnet, second, { container }), false);
    expect(blocks(onOne)).toEqual([calledFromCode(id, "get_weather", { city: "Oslo" })]);

    const third = resumeWith(second, onOne, ["Oslo: 2C"]);
    const onTwo = await ask(on(replicas[2]?.url ?? ""), ptcRequest(sonnet, third, { container }), false);
    expect(blocks(onTwo)).toEqual([calledFromCode(id, "get_weather", { city: "Rome" })]);
    expect(expectContainer(onTwo.container).id).toBe(container);

    // The last hop takes whichever replica the load balancer picks, streamed through it.
    const done = await ask(on(balancer.url), ptcRequest(sonnet, resumeWith(third, onTwo, ["Rome: 24C"]), { container }), true);
    expect(blocks(done)).toEqual([codeResult(id, "Paris: 18C; Oslo: 2C; Rome: 24C\n"), text("Mild, cold, warm.")]);
  }, 60_000);

  test("a replica stopped with SIGTERM mid-load loses no usage and fails only requests in flight on it; the rest go around it", async () => {
    const { id: keyId, key } = await createKey({ name: "load" });
    // Every answer takes a while, so requests are in flight on every replica when one is stopped.
    await control().script(...Array.from({ length: 500 }, () => ({ match: { lastUserText: "load" }, content: [{ text: "ok" }], firstByteDelayMs: 300 })));
    const outcomes: Outcome[] = [];
    let stopped = false;
    const client = async () => {
      while (!stopped) outcomes.push(await streamed(balancer.url, key));
    };
    const load = Promise.all(Array.from({ length: 12 }, client));
    await until(() => outcomes.length >= 24);
    const sigtermAt = performance.now();
    // Exit code 0: it shut down by itself, not by the SIGKILL that follows a stop taking too long.
    expect(await replicas[2]?.stop()).toBe(0);
    const exitedAt = performance.now();
    await until(() => outcomes.filter((outcome) => outcome.sentAt > exitedAt).length >= 24);
    stopped = true;
    await load;

    const failed = outcomes.filter((outcome) => !outcome.ok);
    const drained = outcomes.filter((outcome) => outcome.replica === 2 && outcome.sentAt < sigtermAt && outcome.endedAt > sigtermAt);
    const failures = failed.map((outcome) => `${outcome.status} ${((outcome.sentAt - sigtermAt) / 1000).toFixed(2)} s`).join(", ");
    console.log(`${outcomes.length} requests; ${drained.length} in flight on replica 2 at SIGTERM; ${failed.length} failed (status, sent after SIGTERM: ${failures}); it exited ${(exitedAt - sigtermAt).toFixed(0)} ms after SIGTERM`);
    expect(drained.length).toBeGreaterThan(0);
    for (const outcome of failed) {
      expect(outcome.replica).toBe(2);
      expect(outcome.sentAt).toBeLessThan(exitedAt);
    }
    const afterExit = outcomes.filter((outcome) => outcome.sentAt > exitedAt);
    expect(afterExit.every((outcome) => outcome.ok && outcome.replica !== 2)).toBe(true);

    const answered = outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.requestId);
    expect(outcomes.some((outcome) => outcome.ok && outcome.replica === 2)).toBe(true);
    const records = await usageOf(keyId, (stored) => answered.every((requestId) => stored.some((record) => record.request_id === requestId)));
    // Each answered request has exactly one record, and no record is there twice.
    const recorded = records.map((record) => record.request_id);
    expect(answered.filter((requestId) => recorded.filter((stored) => stored === requestId).length !== 1)).toEqual([]);
    expect(new Set(recorded).size).toBe(recorded.length);
    // The store took everything at shutdown: nothing waits in the stopped replica's spool.
    expect(existsSync(killedSpool)).toBe(false);
  }, 60_000);

  // After the stop above: the survivors write usage within 50 ms, so the outcome is read back at once.
  test("a client that gives up before the answer starts is gone for the replica too", async () => {
    const { id: keyId, key } = await createKey({ name: "abort" });
    await control().script({ match: { lastUserText: "abort" }, content: [{ text: "too late" }], firstByteDelayMs: 5_000 });
    const gaveUp = await fetch(`${balancer.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key },
      body: JSON.stringify({ model: sonnet, max_tokens: 10, stream: true, messages: [{ role: "user", content: "abort" }] }),
      signal: AbortSignal.timeout(500),
    }).catch((error: unknown) => error);
    expect(gaveUp).toBeInstanceOf(DOMException);
    // Not passed on, the replica would wait the 5 s out and record a 200.
    const [record] = await usageOf(keyId, (stored) => stored.length > 0);
    expect(record).toMatchObject({ status: 499, error_type: "client_closed" });
  }, 30_000);
});

/** Probes `url` with `secret` until it is refused; how long after `since` the last accepted probe was sent (0: none was). */
async function acceptedFor(url: string, secret: string, since: number): Promise<number> {
  let window = 0;
  for (const deadline = since + keyCacheTtlMs + 10_000; performance.now() < deadline; ) {
    const sentAt = performance.now();
    const answer = await post(url, secret);
    if (answer.status === 403) return window;
    expect(answer.status).toBe(200);
    window = sentAt - since;
    await Bun.sleep(10);
  }
  throw new Error(`${url} still accepts the disabled key ${keyCacheTtlMs + 10_000} ms after the change`);
}

interface Outcome {
  /** The replica the load balancer sent it to. */
  replica: number;
  requestId: string;
  status: number;
  sentAt: number;
  endedAt: number;
  /** A 200 whose stream ran to message_stop. */
  ok: boolean;
}

async function streamed(base: string, secret: string): Promise<Outcome> {
  const sentAt = performance.now();
  const answer = await post(base, secret, { stream: true, text: "load" });
  const body = await answer.text().catch(() => "");
  return { replica: servedBy(answer), requestId: answer.headers.get("request-id") ?? "", status: answer.status, sentAt, endedAt: performance.now(), ok: answer.status === 200 && body.includes("event: message_stop") };
}

async function until(condition: () => boolean): Promise<void> {
  for (const deadline = performance.now() + 30_000; !condition(); await Bun.sleep(10)) {
    if (performance.now() > deadline) throw new Error("timed out");
  }
}

/** The key's usage records once they are `complete` (the survivors write theirs on a 50 ms timer), or as they are after 15 s. */
async function usageOf(keyId: string, complete: (records: UsageRecord[]) => boolean): Promise<UsageRecord[]> {
  for (const deadline = performance.now() + 15_000; ; await Bun.sleep(50)) {
    const records = await store.latestUsage(keyId, 1_000);
    if (complete(records) || performance.now() > deadline) return records;
  }
}
