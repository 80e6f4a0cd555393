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
        statsRow("  of which the sandbox's work (tap)", f.sandboxInCodeOnly),
        statsRow("proxy: resume, tool_result in → answer out", f.resume),
        statsRow("  of which the sandbox's work (tap)", f.sandboxInResume),
        addedRow("resume − sandbox's work − emulator turn (the proxy's own)", f.resumeOwn.p50, f.resumeOwn.p99),
        statsRow("  of which its other sandbox calls (GET, tap)", f.lookupsInResume),
        addedRow("code-only − sandbox's work (above the sandbox's own time)", f.codeOnlyAbove.p50, f.codeOnlyAbove.p99),
        addedRow("code-only − sandbox's work − 2 emulator turns", f.codeOnlyAbove.p50 - 2 * f.emulatorTurn.p50, f.codeOnlyAbove.p99 - 2 * f.emulatorTurn.p99),
      ]),
      "  (one container for every request; the sandbox's work is what the proxy waited on its POSTs, timed by a hop in",
      "   between; the differences are taken request by request, the emulator's turn from the same iteration)",
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
