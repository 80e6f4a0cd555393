import { cpus } from "node:os";
import type { ScriptedTurn } from "./emulator-control.ts";
import { type GatewayComparison, type GatewayRun, type LaneName, laneNames } from "./gateway.ts";
import { spendAgrees } from "./usage-check.ts";
import type { CompletionComparison, CompletionRun, HeldStreamsComparison, RunCounts, StreamComparison, StreamRun } from "./phases.ts";

/**
 * The printed report. Every proxy figure sits next to its direct baseline and the ratio between
 * them, so a slow machine shows up as a slow baseline and not as a slow proxy.
 */

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const ms = (value: number) => `${value.toFixed(2)} ms`;
const signedMs = (value: number) => `${value >= 0 ? "+" : ""}${value.toFixed(2)} ms`;
const ratio = (value: number) => `${value.toFixed(2)}×`;
const us = (value: number) => `${Math.round(value)} µs`;
const perSecond = (value: number) => `${Math.round(value).toLocaleString("en-US")}/s`;
const routeName = (route: string) => (route === "invoke" ? "native Claude (InvokeModel)" : "Converse (qwen3-coder)");

/** How many content deltas a scripted turn streams as (the emulator cuts text every `chunkChars`). */
const deltasOf = (turn: ScriptedTurn) => Math.ceil((turn.content[0]?.text.length ?? 0) / (turn.chunkChars ?? 20));

/** Columns padded to their widest cell: the first left-aligned, the rest right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? "").length)));
  const line = (row: readonly string[]) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join("   ");
  const rule = widths.map((width) => "─".repeat(width)).join("   ");
  return ["  " + line(header), "  " + rule, ...rows.map((row) => "  " + line(row))].join("\n");
}

export function heading(title: string): string {
  return `\n${title}\n${"═".repeat(title.length)}`;
}

/**
 * With a fixed number always in flight, latency ≈ in-flight ÷ throughput (Little's law), so the
 * added latency at saturation follows from the throughput ratio; this says which ratio a latency
 * target needs, from this run's own direct figures.
 */
function saturationNote(c: CompletionComparison): string {
  const directP50 = c.direct.latency.p50;
  const neededForOneMs = directP50 / (directP50 + 1);
  return `  note: at ${c.concurrency} in flight, p50 ≈ ${c.concurrency} ÷ throughput; adding ≤ 1 ms to the direct ${ms(directP50)} needs ≥ ${(neededForOneMs * 100).toFixed(0)}% of direct throughput`;
}

function failuresNote(name: string, run: Pick<RunCounts, "failures" | "firstFailure">): string[] {
  return run.failures > 0 ? [`  ! ${name}: ${run.failures} failed; first: ${run.firstFailure ?? "?"}`] : [];
}

/** One load run's cells: counts, throughput, latency, CPU per request of bench, emulator and proxy. */
function runCells(label: string, run: CompletionRun): string[] {
  return [
    label,
    String(run.completed),
    String(run.failures),
    perSecond(run.perSecond),
    ms(run.latency.p50),
    ms(run.latency.p99),
    us(run.cpu.benchUs),
    us(run.cpu.emulatorUs),
    us(run.cpu.proxyUs),
  ];
}

export function completionSection(c: CompletionComparison): string {
  const rows = [
    runCells("direct (emulator)", c.direct),
    // The forwarder's own CPU is in the last column, where the proxy's is for the proxy.
    runCells("bare SigV4 forwarder", c.floor),
    runCells("through proxy", c.proxy),
    [
      "proxy / direct",
      "",
      "",
      ratio(c.proxy.perSecond / c.direct.perSecond),
      ratio(c.proxy.latency.p50 / c.direct.latency.p50),
      ratio(c.proxy.latency.p99 / c.direct.latency.p99),
      "",
      "",
      // The proxy's CPU per request against the emulator's in the direct run: the work one hop adds.
      `${ratio(c.proxy.cpu.proxyUs / c.direct.cpu.emulatorUs)} emul.`,
    ],
    ["added by proxy", "", "", "", signedMs(c.proxy.latency.p50 - c.direct.latency.p50), signedMs(c.proxy.latency.p99 - c.direct.latency.p99), "", "", ""],
    ["added by forwarder", "", "", ratio(c.floor.perSecond / c.direct.perSecond), signedMs(c.floor.latency.p50 - c.direct.latency.p50), signedMs(c.floor.latency.p99 - c.direct.latency.p99), "", "", `proxy ${ratio(c.proxy.cpu.proxyUs / c.floor.cpu.proxyUs)}`],
  ];
  return [
    `\n${routeName(c.route)}, ${c.concurrency} concurrent (CPU: µs per request, by process)`,
    table(["", "requests", "failed", "throughput", "p50", "p99", "bench CPU", "emulator CPU", "proxy CPU"], rows),
    ...(c.concurrency > 1 ? [saturationNote(c)] : []),
    ...failuresNote("direct", c.direct),
    ...failuresNote("forwarder", c.floor),
    ...failuresNote("proxy", c.proxy),
  ].join("\n");
}

/** One stream run's cells: counts, throughput, first token, whole stream, CPU per stream of the relaying process. */
function streamCells(label: string, run: StreamRun, relayCpu: string): string[] {
  return [label, String(run.completed), String(run.failures), perSecond(run.perSecond), ms(run.firstToken.p50), ms(run.firstToken.p99), ms(run.total.p50), ms(run.total.p99), relayCpu];
}

/** What `via` added to the direct run's times. */
function addedCells(label: string, via: StreamRun, direct: StreamRun, relayCpu: string): string[] {
  const added = (pick: (run: StreamRun) => number) => signedMs(pick(via) - pick(direct));
  return [label, "", "", "", added((r) => r.firstToken.p50), added((r) => r.firstToken.p99), added((r) => r.total.p50), added((r) => r.total.p99), relayCpu];
}

export function streamSection(c: StreamComparison): string {
  const deltas = deltasOf(c.turn);
  const rows = [
    streamCells("direct (emulator)", c.direct, ""),
    // The forwarder's own CPU is in the last column, where the proxy's is for the proxy.
    streamCells("bare SigV4 forwarder", c.floor, us(c.floor.cpu.proxyUs)),
    streamCells("through proxy", c.proxy, us(c.proxy.cpu.proxyUs)),
    [
      "proxy / direct",
      "",
      "",
      ratio(c.proxy.perSecond / c.direct.perSecond),
      ratio(c.proxy.firstToken.p50 / c.direct.firstToken.p50),
      ratio(c.proxy.firstToken.p99 / c.direct.firstToken.p99),
      ratio(c.proxy.total.p50 / c.direct.total.p50),
      ratio(c.proxy.total.p99 / c.direct.total.p99),
      "",
    ],
    addedCells("added by proxy", c.proxy, c.direct, ""),
    addedCells("added by forwarder", c.floor, c.direct, `proxy ${ratio(c.proxy.cpu.proxyUs / c.floor.cpu.proxyUs)}`),
  ];
  return [
    `\n${routeName(c.route)}, ${c.concurrency} concurrent streams of ${deltas} deltas, ${c.turn.chunkDelayMs ?? 0} ms apart (CPU: µs per stream of the process relaying it)`,
    table(["", "streams", "failed", "throughput", "TTFT p50", "TTFT p99", "total p50", "total p99", "relay CPU"], rows),
    ...failuresNote("direct", c.direct),
    ...failuresNote("forwarder", c.floor),
    ...failuresNote("proxy", c.proxy),
  ].join("\n");
}

export function heldStreamsSection(c: HeldStreamsComparison): string {
  const deltas = deltasOf(c.turn);
  const streamRows = [
    ["direct (emulator)", String(c.direct.streams), String(c.direct.maxOpen), String(c.direct.stopped), String(c.direct.failures), ms(c.direct.elapsedMs)],
    ["through proxy", String(c.proxy.streams), String(c.proxy.maxOpen), String(c.proxy.stopped), String(c.proxy.failures), ms(c.proxy.elapsedMs)],
    ["proxy / direct", "", ratio(c.proxy.maxOpen / c.direct.maxOpen), ratio(c.proxy.stopped / c.direct.stopped), "", ratio(c.proxy.elapsedMs / c.direct.elapsedMs)],
  ];
  const memory = c.proxy.memory;
  const memoryRows = [
    ["proxy idle (after start-up)", mb(c.proxyIdleRss), ratio(1)],
    ["proxy before this phase", mb(memory.before), ratio(memory.before / c.proxyIdleRss)],
    [`proxy peak (${memory.peakIsPhaseOnly ? "VmHWM, reset before the phase" : "sampled VmRSS"})`, mb(memory.peak), ratio(memory.peak / c.proxyIdleRss)],
    ["proxy peak, sampled VmRSS", mb(memory.sampledPeak), ratio(memory.sampledPeak / c.proxyIdleRss)],
    ["proxy growth per open stream", `${((memory.peak - memory.before) / Math.max(1, c.proxy.maxOpen) / 1024).toFixed(1)} KB`, ""],
  ];
  const emulator = c.direct.memory;
  const emulatorNote = `  (baseline: the emulator itself went from ${mb(emulator.before)} to ${mb(emulator.peak)} holding them directly, ${ratio(emulator.peak / emulator.before)})`;
  return [
    `\n${c.direct.streams} streams opened at once, ${deltas} deltas each, ${c.turn.chunkDelayMs ?? 0} ms apart`,
    table(["", "streams", "max open", "message_stop", "failed", "all done in"], streamRows),
    ...failuresNote("direct", c.direct),
    ...failuresNote("proxy", c.proxy),
    "",
    table(["memory", "RSS", "vs proxy idle"], memoryRows),
    emulatorNote,
  ].join("\n");
}

export const laneLabels: Record<LaneName, string> = {
  open: "(a) open mode, no key",
  sqlite: "(b) key: SQLite + memory",
  dynamodb: "(c) key: DynamoDB Local + Redis",
};

/**
 * Whether a run's bookkeeping is right: a record per request sent, every answered request's own
 * record found, and (for a key) a month spend equal to the records' cost.
 */
export function usageComplete(run: GatewayRun): boolean {
  const { records, requests, readBack, answered, spend } = run.usage;
  return records === requests && readBack === answered && (spend === undefined || spendAgrees(spend));
}

export function gatewaySection(c: GatewayComparison): string {
  const { open: baseline } = c.runs;
  const storeCpu = (run: GatewayRun) => (run.cpu.storeUs === undefined ? "—" : us(run.cpu.storeUs));
  const row = (name: LaneName) => [...runCells(laneLabels[name], c.runs[name]), storeCpu(c.runs[name])];
  const added = (name: LaneName) => {
    const run = c.runs[name];
    return [
      `added by ${name === "sqlite" ? "(b)" : "(c)"} over (a)`,
      "",
      "",
      ratio(run.perSecond / baseline.perSecond),
      signedMs(run.latency.p50 - baseline.latency.p50),
      signedMs(run.latency.p99 - baseline.latency.p99),
      "",
      "",
      `${run.cpu.proxyUs >= baseline.cpu.proxyUs ? "+" : "−"}${us(Math.abs(run.cpu.proxyUs - baseline.cpu.proxyUs))}`,
      "",
    ];
  };
  const usageRow = (name: LaneName) => {
    const run = c.runs[name];
    const { requests, records, readBack, answered, maxLagMs, spend } = run.usage;
    const ok = usageComplete(run);
    const usd = (value: number | undefined) => (value === undefined ? "—" : `$${value.toFixed(6)}`);
    return [laneLabels[name], String(requests), String(records), `${readBack} of ${answered}`, `${Math.round(maxLagMs)} ms`, usd(spend?.spendUsd), usd(spend?.costUsd), ok ? "ok" : "MISMATCH"];
  };
  const notes: string[] = [];
  if (c.concurrency > 1) {
    // As in section 1: at a fixed number in flight, p50 ≈ in-flight ÷ throughput.
    const needed = baseline.latency.p50 / (baseline.latency.p50 + 0.5);
    notes.push(`  note: at ${c.concurrency} in flight, p50 ≈ ${c.concurrency} ÷ throughput; adding ≤ 0.5 ms to (a)'s ${ms(baseline.latency.p50)} needs ≥ ${(needed * 100).toFixed(1)}% of its throughput`);
  }
  if (c.floor) {
    const { completed, cpu } = c.floor;
    notes.push(
      `  floor: the bare SigV4 forwarder, loaded after each chunk of (b): ${completed} requests, ${us(cpu.proxyUs)} of CPU per request; (b) spends ${ratio(c.runs.sqlite.cpu.proxyUs / cpu.proxyUs)} it`,
    );
  }
  const otherCores = Math.max(0, c.otherCores);
  const busy = otherCores >= 0.1 ? " — the machine was not quiet: these figures are disturbed" : "";
  notes.push(`  machine: other processes used ${otherCores.toFixed(2)} of ${cpus().length} cores during the measured loads${busy}`);
  return [
    `\nnative Claude (InvokeModel), ${c.concurrency} concurrent, in chunks: (a b c c b a) ×2 (CPU: µs per request, by process; store: DynamoDB Local + Redis)`,
    table(["", "requests", "failed", "throughput", "p50", "p99", "bench CPU", "emulator CPU", "proxy CPU", "store CPU"], [...laneNames.map(row), added("sqlite"), added("dynamodb")]),
    ...notes,
    "",
    table(
      ["usage, read back through the store", "requests", "records", "read back by id", "landed ≤", "month spend", "records' cost", "check"],
      laneNames.map(usageRow),
    ),
    "  (requests include the warm-up; landed ≤: the longest wait, after a load, for its last record)",
    ...laneNames.flatMap((name) => failuresNote(laneLabels[name], c.runs[name])),
  ].join("\n");
}

export interface TargetResult {
  target: string;
  measured: string;
  pass: boolean;
}

export function targetsSection(results: readonly TargetResult[]): string {
  return table(
    ["target", "measured", "result"],
    results.map((r) => [r.target, r.measured, r.pass ? "PASS" : "MISS"]),
  );
}

export const format = { mb, ms, signedMs, ratio };
