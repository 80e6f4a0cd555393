import type { PtcFigures } from "./ptc.ts";
import { format, type TargetResult, table } from "./report.ts";
import type { Stats } from "./sandbox.ts";
import { limits } from "./targets.ts";

/**
 * Section 6's printed figures and targets: each PTC request through the proxy next to what the
 * emulator and the sandbox service take for the same work, measured in the same run.
 */

const { ms, signedMs } = format;
const statsRow = (name: string, st: Stats) => [name, String(st.count), ms(st.p50), ms(st.p99)];
const addedRow = (name: string, p50: number, p99: number) => [name, "", signedMs(p50), signedMs(p99)];

export function ptcSection(f: PtcFigures): string {
  const failures = f.failures === 0 ? "" : `\n  ${f.failures} iteration(s) failed; first: ${f.firstFailure}`;
  return (
    [
      table(["", "samples", "p50", "p99"], [
        statsRow("emulator: one model turn, streamed (direct)", f.emulatorTurn),
        statsRow("sandbox: print(1) (direct)", f.sandboxExecution),
        statsRow("sandbox: tool-results → completed (direct)", f.sandboxToolResults),
        statsRow("proxy: code-only request (2 model calls, print(1))", f.codeOnly),
        statsRow("proxy: resume, tool_result in → answer out", f.resume),
        addedRow("resume − emulator turn (sandbox's time included)", f.resume.p50 - f.emulatorTurn.p50, f.resume.p99 - f.emulatorTurn.p99),
        addedRow("resume − emulator turn − sandbox tool-results (the proxy's own)", f.resumeOwn.p50, f.resumeOwn.p99),
        addedRow("code-only − sandbox print(1)", f.codeOnlyAbove.p50, f.codeOnlyAbove.p99),
        addedRow("code-only − sandbox print(1) − 2 emulator turns", f.codeOnlyAbove.p50 - 2 * f.emulatorTurn.p50, f.codeOnlyAbove.p99 - 2 * f.emulatorTurn.p99),
      ]),
      "  (one container for every request; the proxy's own time and code-only − print(1) are per-iteration differences, each",
      "   iteration timing the direct calls and the proxy's back to back)",
    ].join("\n") + failures
  );
}

export function ptcTargets(f: PtcFigures | undefined): TargetResult[] {
  if (!f) return [];
  const clean = f.failures === 0;
  const note = clean ? "" : " (failures)";
  return [
    { target: `PTC (bwrap): proxy's own time around a resume p50 ≤ ${limits.ptcResumeAddedP50Ms} ms`, measured: `${ms(f.resumeOwn.p50)}${note}`, pass: clean && f.resumeOwn.p50 <= limits.ptcResumeAddedP50Ms },
    { target: `PTC (bwrap): proxy's own time around a resume p99 ≤ ${limits.ptcResumeAddedP99Ms} ms`, measured: `${ms(f.resumeOwn.p99)}${note}`, pass: clean && f.resumeOwn.p99 <= limits.ptcResumeAddedP99Ms },
    {
      target: `PTC (bwrap): code-only round trip p50 ≤ ${limits.ptcCodeOnlyAddedP50Ms} ms above the sandbox's print(1)`,
      measured: `${ms(f.codeOnlyAbove.p50)}${note}`,
      pass: clean && f.codeOnlyAbove.p50 <= limits.ptcCodeOnlyAddedP50Ms,
    },
  ];
}
