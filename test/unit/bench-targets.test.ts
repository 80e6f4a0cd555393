import { describe, expect, test } from "bun:test";
import type { GatewayComparison, GatewayRun, LaneName } from "../../scripts/bench/gateway.ts";
import type { CompletionComparison, CompletionRun, StreamComparison, StreamRun } from "../../scripts/bench/phases.ts";
import { evaluateTargets, limits } from "../../scripts/bench/targets.ts";
import { spendAgrees } from "../../scripts/bench/usage-check.ts";

/**
 * `bun run bench`'s closing table (docs/performance.md): every latency and first-token target prints the
 * bare forwarder's share beside the proxy's, and the CPU target holds the issued key's lane against the
 * forwarder measured in the same run. The bench itself is too slow for the suite; its verdicts are not.
 */

const completion = (p50: number, p99: number, proxyUs = 0, failures = 0): CompletionRun => ({
  completed: 1000,
  failures,
  firstFailure: undefined,
  perSecond: 1000,
  latency: { p50, p99 },
  cpu: { benchUs: 0, emulatorUs: 0, proxyUs },
});

const serial = (proxyP50: number, forwarderP50: number): CompletionComparison => ({
  route: "invoke",
  concurrency: 1,
  direct: completion(1, 2),
  proxy: completion(1 + proxyP50, 3),
  floor: completion(1 + forwarderP50, 2.5),
});

const stream = (proxyFirstToken: number, forwarderFirstToken: number): StreamRun[] =>
  [0, proxyFirstToken, forwarderFirstToken].map((added) => ({
    completed: 32,
    failures: 0,
    firstFailure: undefined,
    perSecond: 100,
    firstToken: { p50: 5 + added, p99: 9 },
    total: { p50: 60, p99: 80 },
    cpu: { benchUs: 0, emulatorUs: 0, proxyUs: 0 },
  }));

const gatewayRun = (proxyUs: number, records = 4000): GatewayRun => ({
  completed: 4000,
  failures: 0,
  firstFailure: undefined,
  perSecond: 3000,
  latency: { p50: 15, p99: 30 },
  cpu: { benchUs: 0, emulatorUs: 0, proxyUs, storeUs: undefined },
  usage: { requests: 4000, records, readBack: 4000, answered: 4000, maxLagMs: 40 },
});

const gateway = (keyedUs: number, floorUs: number | undefined, keyedRecords = 4000): GatewayComparison => ({
  concurrency: 64,
  runs: { open: gatewayRun(240), sqlite: gatewayRun(keyedUs, keyedRecords), dynamodb: gatewayRun(300) } satisfies Record<LaneName, GatewayRun>,
  floor: floorUs === undefined ? undefined : { completed: 4000, failures: 0, cpu: { proxyUs: floorUs } },
  otherCores: 0,
});

const named = (results: ReturnType<typeof evaluateTargets>, prefix: string) => results.filter((result) => result.target.startsWith(prefix));

describe("bench targets", () => {
  test("one request at a time: the added p50 passes at the limit, misses above it, and prints the forwarder's share", () => {
    const [pass] = named(evaluateTargets([serial(limits.serialAddedP50Ms, 0.2)], undefined), "native: added latency p50");
    expect(pass).toEqual({ target: "native: added latency p50 ≤ 0.5 ms @1", measured: "+0.50 ms (forwarder +0.20 ms)", pass: true });
    const [miss] = named(evaluateTargets([serial(0.67, 0.2)], undefined), "native: added latency p50");
    expect(miss?.pass).toBe(false);
  });

  test("time to first token: measured against direct, the forwarder's share beside it", () => {
    const [direct, proxy, floor] = stream(0.98, 0.28) as [StreamRun, StreamRun, StreamRun];
    const comparison: StreamComparison = { route: "converse", concurrency: 32, turn: { content: [] }, direct, proxy, floor };
    const [result] = evaluateTargets([], undefined, [], [comparison]);
    expect(result).toEqual({ target: "converse streaming: added time to first token p50 ≤ 1 ms @32", measured: "+0.98 ms (forwarder +0.28 ms)", pass: true });
  });

  test("CPU: the issued key's lane against the forwarder loaded beside it, 2× at most", () => {
    const cpu = (comparison: GatewayComparison) => named(evaluateTargets([], undefined, [comparison]), "proxy CPU")[0];
    expect(cpu(gateway(226, 113))).toMatchObject({ measured: "226 µs vs 113 µs (2.00×)", pass: true });
    expect(cpu(gateway(253, 113))).toMatchObject({ measured: "253 µs vs 113 µs (2.24×)", pass: false });
  });

  test("CPU: section 1's forwarder stands in only when section 4 measured none; without a floor there is no verdict", () => {
    const section1 = { ...serial(0.3, 0.2), concurrency: 64, floor: completion(10, 20, 100) };
    expect(named(evaluateTargets([section1], undefined, [gateway(190, undefined)]), "proxy CPU")[0]).toMatchObject({ measured: "190 µs vs 100 µs (1.90×)", pass: true });
    expect(named(evaluateTargets([section1], undefined, [gateway(190, 120)]), "proxy CPU")[0]?.measured).toBe("190 µs vs 120 µs (1.58×)");
    expect(named(evaluateTargets([], undefined, [gateway(190, undefined)]), "proxy CPU")).toEqual([]);
  });

  test("the gateway's latency target fails when a request's usage record is missing", () => {
    const [sqlite] = named(evaluateTargets([], undefined, [gateway(226, 113, 3999)]), "gateway (SQLite");
    expect(sqlite).toMatchObject({ pass: false });
    expect(sqlite?.measured).toContain("usage mismatch");
  });

  test("month spend and records' cost agree up to the rounding of their sums", () => {
    expect(spendAgrees({ spendUsd: 1.2345678, costUsd: 1.2345679 })).toBe(true);
    expect(spendAgrees({ spendUsd: 1.23, costUsd: 1.24 })).toBe(false);
  });
});
