import { join } from "node:path";
import { KeyService } from "../../src/gateway/keys/service.ts";
import { createStore } from "../../src/store/create-store.ts";
import type { Store } from "../../src/gateway/store.ts";
import { startDynamoDbLocal } from "../../test/support/dynamodb-local.ts";
import { startRedisServer } from "../../test/support/redis-server.ts";
import { resetEmulator } from "./emulator-control.ts";
import { type LoadOutcome, type LoadPlan, type Percentiles, percentiles, runClosedLoop, type WarmedUp, type WarmUp, warmUp as warm } from "./load.ts";
import type { CpuPerRequest, RunCounts } from "./phases.ts";
import { childPid, machineBusySeconds, ownCpuSeconds, readCpuSeconds } from "./proc.ts";
import { removeScratchDir, type Service, scratchDir, startForwarder, startProxy } from "./processes.ts";
import { anonymous, checkUsage, countRecords, type RecordingLane, untilUsageLands, type UsageCheck } from "./usage-check.ts";
import { type PreparedRequest, prepareRequest, proxyRequest, timeCompletion } from "./workload.ts";

/**
 * Section 4, the gateway: what authenticating an issued key, admitting it against its rate limits
 * and recording its usage and spend add to a request. The non-streaming native-Claude request is
 * sent to three proxies, all in front of the same emulator:
 *   (a) open mode, no key: the proxy with no store work but the usage writer (records go to SQLite
 *       under "anonymous"), the baseline;
 *   (b) an issued key with rpm/tpm set far above the load, keys and usage in SQLite, limits in memory;
 *   (c) the same key settings on DynamoDB Local, limits in Redis.
 * At 64 concurrent the bare SigV4 forwarder (`forwarder.ts`) is loaded after each chunk of (b): the
 * floor (b)'s CPU per request is held against, measured under the same machine load (on a shared
 * machine, section 1's can be minutes and a neighbour's test suite away). Each runs at 64 and at 1 concurrent. The three proxies are up together and measured in chunks, in
 * mirrored order a b c c b a, twice (each chunk a quarter of the requests, rounded up to whole usage
 * batches), so a drift of the machine over the run (a JIT still warming, a neighbour's load) weighs
 * on every lane alike. Every lane is warmed up first, until the JITs settle (the proxies', and
 * DynamoDB Local's JVM, which starts cold), and every chunk follows an unmeasured re-warm of its process
 * (see `rewarmRequests`). The CPU the rest of the machine used during the measured windows is reported too: on a
 * shared 2-core machine it is the first suspect of a bad run.
 *
 * After every load the bench waits until the proxy has landed a usage record for every request sent,
 * and each run ends with the usage checks of `usage-check.ts`. The CPU of a run includes the writes of
 * its own records, DynamoDB Local's and Redis's too (store CPU).
 */

export type LaneName = "open" | "sqlite" | "dynamodb";
export const laneNames: readonly LaneName[] = ["open", "sqlite", "dynamodb"];

/** Limits no run comes near: the limiter's common path (admit, settle) is what is measured. */
const keyLimits = { rpm: 10_000_000, tpm: 10_000_000_000 };
/** No single request may hang the bench. */
const requestTimeoutMs = 60_000;
/** Measured loads are cut in chunks and interleaved over the lanes (see `measuringOrder`). */
const mirroredRounds = 2;
const chunksPerLane = 2 * mirroredRounds;
/** The proxy's default USAGE_BATCH_SIZE: a full batch is written at once, a partial one on a timer. */
const usageBatchSize = 100;
/**
 * The partial batch a load leaves waits this long for the writer's timer (a second by default). Each
 * chunk's CPU window lasts until its records land, and a second of idleness in it was charged its
 * collector's work: 470-480 µs a request against 290-310 with 50 ms (docs/performance.md#warm-up).
 * At 64 in flight a batch fills in well under 50 ms, so the batching barely changes; the idle tails go.
 */
const usageFlushIntervalMs = "50";

export interface GatewayCpu extends CpuPerRequest {
  /** DynamoDB Local and Redis together; undefined where the store lives in the proxy (SQLite, memory). */
  storeUs: number | undefined;
}

export interface GatewayRun extends RunCounts {
  latency: Percentiles;
  cpu: GatewayCpu;
  usage: UsageCheck;
}

/** The bare SigV4 forwarder, loaded in chunks beside lane (b): the CPU floor under the same machine load. */
export interface FloorRun {
  completed: number;
  failures: number;
  cpu: { proxyUs: number };
}

export interface GatewayComparison {
  concurrency: number;
  runs: Record<LaneName, GatewayRun>;
  /** Measured at 64 concurrent only. */
  floor: FloorRun | undefined;
  /** Cores' worth of CPU the rest of the machine used, on average, during the measured windows: noise. */
  otherCores: number;
}

export interface GatewayOptions {
  emulator: { url: string; pid: number };
  /** Measured requests per lane and concurrency (in chunks of whole usage batches); the serial runs take at most ~1,000. */
  requests: number;
  cpuProfileDir?: string | undefined;
  preload?: string | undefined;
  /** Called with each concurrency's comparison as soon as it is measured. */
  onComparison: (comparison: GatewayComparison) => void;
  /** Progress and setup lines. */
  log: (line: string) => void;
}

interface Lane extends RecordingLane {
  name: LaneName;
  proxy: Service;
  request: PreparedRequest;
  /** Processes serving this lane's store and limiter, whose CPU is charged to it. */
  storePids: number[];
}

/** Runs section 4: starts Redis, DynamoDB Local and three proxies, measures, and stops them all. */
export async function measureGateway(options: GatewayOptions): Promise<GatewayComparison[]> {
  const cleanups: (() => Promise<void>)[] = [];
  const dir = scratchDir("bench-gateway-");
  cleanups.push(async () => removeScratchDir(dir));
  try {
    const lanes = await startLanes(options, dir, cleanups);
    const floor = await startFloor(options, cleanups);
    const storePids = new Set(lanes.flatMap((lane) => lane.storePids));
    const rig: Rig = {
      emulatorPid: options.emulator.pid,
      childPids: [options.emulator.pid, floor.service.pid, ...lanes.map((lane) => lane.proxy.pid), ...storePids],
    };
    const comparisons: GatewayComparison[] = [];
    for (const concurrency of [64, 1]) {
      const comparison = await measureConcurrency(lanes, options, rig, concurrency, concurrency > 1 ? floor : undefined);
      options.onComparison(comparison);
      comparisons.push(comparison);
    }
    return comparisons;
  } finally {
    // Last started, first stopped: the proxies write their buffered usage before their store goes.
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => options.log(`gateway: cleanup failed: ${error instanceof Error ? error.message : String(error)}`));
    }
  }
}

// ——— Set-up ———

async function startLanes(options: GatewayOptions, dir: string, cleanups: (() => Promise<void>)[]): Promise<Lane[]> {
  const started = performance.now();
  const [redisStart, dynamoStart] = await Promise.allSettled([startRedisServer(), startDynamoDbLocal()]);
  if (redisStart.status === "fulfilled") cleanups.push(() => redisStart.value.stop());
  if (dynamoStart.status === "fulfilled") cleanups.push(() => dynamoStart.value.dispose());
  if (redisStart.status === "rejected") throw redisStart.reason;
  if (dynamoStart.status === "rejected") throw dynamoStart.reason;
  const redis = redisStart.value;
  const dynamo = dynamoStart.value;
  const dynamoPid = await childPid((args) => args.some((a) => a.includes("DynamoDBLocal.jar")) && args.includes(String(dynamo.port)));
  const redisPid = await childPid((args) => args.some((a) => a.includes("redis-server")) && args.some((a) => a.includes(String(redis.port))));
  const storePids = [dynamoPid, redisPid].filter((pid) => pid !== undefined);

  const open = await openStore(cleanups, () => createStore({ kind: "sqlite", path: join(dir, "open.db") }));
  const sqlite = await openStore(cleanups, () => createStore({ kind: "sqlite", path: join(dir, "keys.db") }));
  const tablePrefix = `bench-${process.pid}-`;
  const dynamodb = await openStore(cleanups, () =>
    createStore({ kind: "dynamodb", endpoint: dynamo.endpoint, region: dynamo.region, tablePrefix, createTables: true, credentials: dynamo.credentials }),
  );
  const sqliteKey = await new KeyService(sqlite).create({ name: "bench (SQLite)", ...keyLimits }, { via: "cli" });
  const dynamoKey = await new KeyService(dynamodb).create({ name: "bench (DynamoDB)", ...keyLimits }, { via: "cli" });

  const proxyEnv: Record<LaneName, Record<string, string>> = {
    open: { AUTH_MODE: "open", STORE: "sqlite", SQLITE_PATH: join(dir, "open.db") },
    sqlite: { AUTH_MODE: "keys", STORE: "sqlite", SQLITE_PATH: join(dir, "keys.db") },
    dynamodb: {
      AUTH_MODE: "keys",
      STORE: "dynamodb",
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      DYNAMODB_TABLE_PREFIX: tablePrefix,
      DYNAMODB_CREATE_TABLES: "true",
      AWS_REGION: dynamo.region,
      // DynamoDB Local takes any credentials: the bench's (which the emulator verifies) serve both.
      REDIS_URL: redis.url,
    },
  };
  const starts = await Promise.allSettled(
    laneNames.map((name) =>
      startProxy({
        emulatorUrl: options.emulator.url,
        name: `proxy (${name})`,
        env: { ...proxyEnv[name], USAGE_FLUSH_INTERVAL_MS: usageFlushIntervalMs },
        ...(options.cpuProfileDir ? { cpuProfileDir: join(options.cpuProfileDir, `gateway-${name}`) } : {}),
        ...(options.preload ? { preload: options.preload } : {}),
      }),
    ),
  );
  for (const start of starts) if (start.status === "fulfilled") cleanups.push(async () => void (await start.value.stop()));
  const proxies = starts.map((start) => {
    if (start.status === "rejected") throw start.reason;
    return start.value;
  });
  const [openProxy, sqliteProxy, dynamoProxy] = proxies as [Service, Service, Service];

  const plain = (proxy: Service) => proxyRequest(proxy.url, "invoke", false);
  const withKey = (proxy: Service, secret: string): PreparedRequest => {
    const request = plain(proxy);
    return { ...request, init: { ...request.init, headers: { ...(request.init.headers as Record<string, string>), "x-api-key": secret } } };
  };
  const lanes: Lane[] = [
    { name: "open", proxy: openProxy, store: open, keyId: anonymous, request: plain(openProxy), storePids: [], sent: 0 },
    { name: "sqlite", proxy: sqliteProxy, store: sqlite, keyId: sqliteKey.key.id, request: withKey(sqliteProxy, sqliteKey.secret), storePids: [], sent: 0 },
    { name: "dynamodb", proxy: dynamoProxy, store: dynamodb, keyId: dynamoKey.key.id, request: withKey(dynamoProxy, dynamoKey.secret), storePids, sent: 0 },
  ];
  options.log(
    `gateway: Redis ${redis.url} (pid ${redisPid ?? "?"}), DynamoDB Local ${dynamo.endpoint} (pid ${dynamoPid ?? "?"}); ` +
      `proxies ${lanes.map((l) => `${l.name} pid ${l.proxy.pid}`).join(", ")}; set up in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return lanes;
}

interface Floor {
  service: Service;
  request: PreparedRequest;
}

async function startFloor(options: GatewayOptions, cleanups: (() => Promise<void>)[]): Promise<Floor> {
  const service = await startForwarder(options.emulator.url);
  cleanups.push(async () => void (await service.stop()));
  const request = await prepareRequest({ emulator: options.emulator.url, proxy: "", forwarder: service.url }, "forwarder", "invoke", false);
  return { service, request };
}

async function openStore(cleanups: (() => Promise<void>)[], open: () => Promise<Store>): Promise<Store> {
  const store = await open();
  cleanups.push(() => store.close());
  return store;
}

// ——— Measurement ———

interface Answer {
  latencyMs: number;
  requestId: string;
}

/** One non-streaming request; its latency and the request-id its usage record is filed under. */
async function timeAnswer(request: PreparedRequest): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(request.url, { ...request.init, signal: AbortSignal.timeout(requestTimeoutMs) });
  const text = await response.text();
  const latencyMs = performance.now() - started;
  if (!response.ok || !text.includes('"end_turn"')) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
  const requestId = response.headers.get("request-id");
  if (!requestId) throw new Error("an answer without a request-id header");
  return { latencyMs, requestId };
}

interface CpuSeconds {
  bench: number;
  emulator: number;
  proxy: number;
  store: number;
  /** Busy CPU of the whole machine that none of the bench's processes used: other work, and steal. */
  others: number;
}

/** The processes this phase runs; whatever else the machine does meanwhile is noise in its figures. */
interface Rig {
  emulatorPid: number;
  /** The emulator, every proxy, DynamoDB Local and Redis. */
  childPids: number[];
}

async function readCpu(lane: Lane, rig: Rig): Promise<CpuSeconds> {
  const bench = ownCpuSeconds();
  const byPid = new Map<number, number>();
  for (const pid of rig.childPids) byPid.set(pid, await readCpuSeconds(pid).catch(() => 0));
  const ours = bench + [...byPid.values()].reduce((sum, seconds) => sum + seconds, 0);
  return {
    bench,
    emulator: byPid.get(rig.emulatorPid) ?? 0,
    proxy: byPid.get(lane.proxy.pid) ?? 0,
    store: lane.storePids.reduce((sum, pid) => sum + (byPid.get(pid) ?? 0), 0),
    others: (await machineBusySeconds()) - ours,
  };
}

/** What one lane accumulates over a run: its warm-up, then its measured chunks. */
interface Tally {
  sentBefore: number;
  recordsBefore: number;
  latencies: number[];
  requestIds: string[];
  failures: number;
  firstFailure: string | undefined;
  /** The measured loads' own durations (throughput is over these). */
  elapsedMs: number;
  /** The measured windows: the loads and the waits for their usage to land (CPU is charged over these). */
  windowMs: number;
  cpu: CpuSeconds;
  maxLagMs: number;
}

async function measureConcurrency(lanes: Lane[], options: GatewayOptions, rig: Rig, concurrency: number, floor: Floor | undefined): Promise<GatewayComparison> {
  await resetEmulator(options.emulator.url);
  // The 64-concurrent run has warmed every proxy already; the serial one only refills the pools.
  const total = concurrency > 1 ? options.requests : Math.min(1000, options.requests);
  // Until the JITs settle (see `jitSettling`): the proxies', and DynamoDB Local's, a JVM started moments ago.
  const warmUp: WarmUp = concurrency > 1 ? { concurrency, untilSettled: true } : { concurrency, maxRequests: Math.min(200, total), maxDurationMs: 3_000 };
  const chunk: LoadPlan = { concurrency, maxRequests: wholeBatches(Math.ceil(total / chunksPerLane)), maxDurationMs: 15_000 / chunksPerLane };

  const tallies = new Map<LaneName, Tally>();
  const warmedUp: string[] = [];
  for (const lane of lanes) {
    const tally: Tally = {
      sentBefore: lane.sent,
      recordsBefore: await countRecords(lane),
      latencies: [],
      requestIds: [],
      failures: 0,
      firstFailure: undefined,
      elapsedMs: 0,
      windowMs: 0,
      cpu: { bench: 0, emulator: 0, proxy: 0, store: 0, others: 0 },
      maxLagMs: 0,
    };
    tallies.set(lane.name, tally);
    const warmed = await warm(warmUp, async (window) => (await load(lane, window, tally, rig, false)).samples.length, () => readCpuSeconds(lane.proxy.pid));
    warmedUp.push(describeWarmUp(lane.name, warmed));
  }
  const floorTally: FloorRun & { cpuSeconds: number } = { completed: 0, failures: 0, cpu: { proxyUs: 0 }, cpuSeconds: 0 };
  if (floor) {
    const warmed = await warm(warmUp, async (window) => (await sendToFloor(floor, window)).samples.length, () => readCpuSeconds(floor.service.pid));
    warmedUp.push(describeWarmUp("forwarder", warmed));
  }
  options.log(`gateway @${concurrency}: warmed up with ${warmedUp.join(", ")}`);
  const rewarm: LoadPlan = { concurrency, maxRequests: wholeBatches(rewarmRequests(concurrency)), maxDurationMs: 15_000 / chunksPerLane };
  for (const lane of measuringOrder(lanes)) {
    await load(lane, rewarm, tallyOf(tallies, lane.name), rig, false);
    await load(lane, chunk, tallyOf(tallies, lane.name), rig, true);
    // Right after each chunk of (b), so the ratio of the two is taken under the same machine load.
    if (floor && lane.name === "sqlite") {
      await sendToFloor(floor, rewarm);
      await loadFloor(floor, chunk, floorTally);
    }
  }

  const runs = {} as Record<LaneName, GatewayRun>;
  for (const lane of lanes) runs[lane.name] = await summarise(lane, tallyOf(tallies, lane.name));
  const all = [...tallies.values()];
  const othersSeconds = all.reduce((sum, tally) => sum + tally.cpu.others, 0);
  const windowSeconds = all.reduce((sum, tally) => sum + tally.windowMs, 0) / 1000;
  const floorRun = floor ? { ...floorTally, cpu: { proxyUs: (floorTally.cpuSeconds * 1e6) / Math.max(1, floorTally.completed) } } : undefined;
  return { concurrency, runs, floor: floorRun, otherCores: othersSeconds / Math.max(windowSeconds, 1e-9) };
}

function describeWarmUp(name: string, warmed: WarmedUp): string {
  return `${name} ${warmed.requests.toLocaleString("en-US")} requests${warmed.settled ? "" : " (CPU per request still moving after a minute)"}`;
}

/** The forwarder's requests under `plan`: its warm-up, its re-warms and, in `loadFloor`, its measured chunks. */
function sendToFloor(floor: Floor, plan: LoadPlan): Promise<LoadOutcome<number>> {
  return runClosedLoop(plan, () => timeCompletion(floor.request));
}

async function loadFloor(floor: Floor, plan: LoadPlan, tally: FloorRun & { cpuSeconds: number }): Promise<void> {
  const before = await readCpuSeconds(floor.service.pid);
  const outcome = await sendToFloor(floor, plan);
  tally.cpuSeconds += (await readCpuSeconds(floor.service.pid)) - before;
  tally.completed += outcome.samples.length;
  tally.failures += outcome.failures;
}

/**
 * Rounds a load up to whole usage batches, so that it does not end with a few records waiting for the
 * writer's timer (a second, by default) while the bench waits for them to land.
 */
function wholeBatches(requests: number): number {
  return requests < usageBatchSize ? requests : Math.ceil(requests / usageBatchSize) * usageBatchSize;
}

/**
 * Before each measured chunk, its process is loaded again unmeasured: one that has sat idle while the
 * other lanes ran pays for its first requests again (heap pages faulted back in, the collector's
 * helper threads refilled), up to twice its steady cost per request over a first chunk of 1,000
 * (docs/performance.md#warm-up). A proxy under steady load pays that once; the interleaving, there
 * to spread a machine's drift over every lane, would charge it to every chunk, more to a larger process.
 */
function rewarmRequests(concurrency: number): number {
  return concurrency > 1 ? 1_000 : 100;
}

/** a b c c b a, `mirroredRounds` times: every lane's chunks sit, on average, at the same point of the run. */
function measuringOrder(lanes: readonly Lane[]): Lane[] {
  const round = [...lanes, ...[...lanes].reverse()];
  return Array.from({ length: mirroredRounds }, () => round).flat();
}

function tallyOf(tallies: Map<LaneName, Tally>, name: LaneName): Tally {
  const tally = tallies.get(name);
  if (!tally) throw new Error(`no tally for ${name}`);
  return tally;
}

/** One load on one lane; then waits for its usage to land, inside the CPU window when measured. */
async function load(lane: Lane, plan: LoadPlan, tally: Tally, rig: Rig, measured: boolean): Promise<LoadOutcome<Answer>> {
  const windowStarted = performance.now();
  const before = await readCpu(lane, rig);
  const outcome: LoadOutcome<Answer> = await runClosedLoop(plan, () => timeAnswer(lane.request));
  lane.sent += outcome.samples.length + outcome.failures;
  const lagMs = await untilUsageLands(lane);
  const after = await readCpu(lane, rig);
  tally.maxLagMs = Math.max(tally.maxLagMs, lagMs);
  for (const answer of outcome.samples) tally.requestIds.push(answer.requestId);
  tally.firstFailure ??= outcome.firstFailure;
  if (!measured) return outcome;
  for (const answer of outcome.samples) tally.latencies.push(answer.latencyMs);
  tally.failures += outcome.failures;
  tally.elapsedMs += outcome.elapsedMs;
  tally.windowMs += performance.now() - windowStarted;
  for (const part of ["bench", "emulator", "proxy", "store", "others"] as const) tally.cpu[part] += after[part] - before[part];
  return outcome;
}

async function summarise(lane: Lane, tally: Tally): Promise<GatewayRun> {
  const completed = tally.latencies.length;
  const perRequestUs = (seconds: number) => (seconds * 1e6) / Math.max(1, completed);
  return {
    completed,
    failures: tally.failures,
    firstFailure: tally.firstFailure,
    perSecond: completed / (tally.elapsedMs / 1000),
    latency: percentiles(tally.latencies),
    cpu: {
      benchUs: perRequestUs(tally.cpu.bench),
      emulatorUs: perRequestUs(tally.cpu.emulator),
      proxyUs: perRequestUs(tally.cpu.proxy),
      storeUs: lane.storePids.length > 0 ? perRequestUs(tally.cpu.store) : undefined,
    },
    usage: await checkUsage(lane, tally),
  };
}
