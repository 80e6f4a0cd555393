import { format, table } from "./report.ts";
import { type IdleMemory, type RuntimeFigures, sandboxPoolSize, type Stats } from "./sandbox.ts";

/**
 * Section 5's printed figures: one block per runtime, each figure next to a baseline measured in the
 * same run (cold vs warm, the service vs a bare print(1)), then the runtimes side by side.
 */

const { mb, ms, ratio } = format;

const statsRow = (name: string, st: Stats) => [name, String(st.count), ms(st.p50), ms(st.p99)];
const ratioRow = (name: string, a: Stats, b: Stats) => [name, "", ratio(a.p50 / b.p50), ratio(a.p99 / b.p99)];

/** Bytes per idle session by one of the runtime's sums; undefined when no session was made. */
function perSession(memory: IdleMemory, measure: IdleMemory["measures"][number]): number | undefined {
  return memory.sessions > 0 ? (measure.after - measure.before) / memory.sessions : undefined;
}

function memoryTable(m: IdleMemory): string {
  const rows = m.measures.map((measure) => {
    const per = perSession(m, measure);
    return [measure.label, mb(measure.before), mb(measure.after), per === undefined ? "—" : mb(per), per === undefined ? "" : ratio(per / m.serviceRss)];
  });
  return table(["", "pool only", `+ ${m.sessions} sessions`, "per session", "vs service RSS"], [...rows, ["service process itself, RSS", "", mb(m.serviceRss), "", ratio(1)]]);
}

export function sandboxRuntimeSection(s: RuntimeFigures): string {
  const name = s.about.name;
  const baselineRows = s.baselines.flatMap((b) => [statsRow(b.label, b.stats), ratioRow(`sandbox / ${b.label}`, s.execution, b.stats)]);
  const baselineLines = s.baselines.map((b) => `  ${b.label}: ${b.description} (${b.stats.count} samples)`);
  return [
    `\n── ${name} ──`,
    `\n${name}: session start (POST /v1/sessions; warm: each once the pool of ${sandboxPoolSize} is full again; cold: a second service with SANDBOX_POOL_SIZE=0)`,
    table(["", "samples", "p50", "p99"], [
      statsRow("warm: POST /v1/sessions", s.warmStart),
      statsRow("cold: POST /v1/sessions", s.coldStart),
      ratioRow("warm / cold", s.warmStart, s.coldStart),
      statsRow("warm: POST + first print(1)", s.warmReady),
      statsRow("cold: POST + first print(1)", s.coldReady),
      ratioRow("warm / cold", s.warmReady, s.coldReady),
    ]),
    `  (the service answers POST /v1/sessions once the sandbox's runner has announced itself: a cold start's cost is in the POST)`,
    `\n${name}: trivial execution print(1), one session, interleaved with the baselines:`,
    ...baselineLines,
    table(["", "samples", "p50", "p99"], [statsRow("sandbox execution (HTTP)", s.execution), ...baselineRows]),
    `\n${name}: tool round trip: \`r = await lookup(n=1)\` (one call)`,
    table(["", "samples", "p50", "p99"], [statsRow("POST tool-results → completed", s.toolResume), statsRow("execute → tool_calls → tool-results → completed", s.toolFull)]),
    `\n${name}: memory of ${s.memory.sessions} idle sessions (pool of ${sandboxPoolSize} full before and after; after: ${s.memory.population})`,
    memoryTable(s.memory),
    ...s.about.memoryNotes.map((note) => `  ${note}`),
    ...(s.failures > 0 ? [`  ! ${s.failures} failed; first: ${s.firstFailure ?? "?"}`] : []),
    ...(s.leftover > 0 ? [`  ! ${s.leftover} ${s.about.leftoverNoun} still there after both services stopped (removed by the bench)`] : []),
  ].join("\n");
}

/** The runtimes' headline p50s side by side, each later runtime as a ratio to the first. */
export function sandboxComparisonSection(all: readonly RuntimeFigures[]): string {
  const [first, ...others] = all;
  if (first === undefined) return "";
  const headlineBytes = (s: RuntimeFigures) => {
    const measure = s.memory.measures.find((m) => m.headline);
    return measure === undefined ? undefined : perSession(s.memory, measure);
  };
  const line = (label: string, value: (s: RuntimeFigures) => number | undefined, show: (n: number) => string) => {
    const values = all.map(value);
    const base = values[0];
    return [
      label,
      ...values.map((v) => (v === undefined ? "—" : show(v))),
      ...values.slice(1).map((v) => (v === undefined || base === undefined ? "—" : ratio(v / base))),
    ];
  };
  const memoryLabel = all.map((s) => `${s.about.name}: ${s.memory.measures.find((m) => m.headline)?.label ?? "?"}`).join("; ");
  return [
    `\n── ${all.map((s) => s.about.name).join(" vs ")}, p50, this run ──`,
    table(["", ...all.map((s) => s.about.name), ...others.map((s) => `${s.about.name} / ${first.about.name}`)], [
      line("warm: POST + first print(1)", (s) => s.warmReady.p50, ms),
      line("cold: POST + first print(1)", (s) => s.coldReady.p50, ms),
      line("print(1) execution", (s) => s.execution.p50, ms),
      line("tool round trip (tool-results → completed)", (s) => s.toolResume.p50, ms),
      line("memory per idle session", headlineBytes, mb),
    ]),
    `  (memory per idle session: ${memoryLabel})`,
  ].join("\n");
}
