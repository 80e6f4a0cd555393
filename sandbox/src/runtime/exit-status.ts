/**
 * Both runtimes report a program killed by a signal the way a shell does, as
 * exit code 128 + signal number (bwrap passes on its child's status; Docker's
 * init does the same). Codes above 128 are therefore read as signals: a program
 * that exits 137 on purpose is indistinguishable from one killed by SIGKILL.
 */
export interface DecodedExit {
  code: number | null;
  signal: string | null;
}

export function decodeExit(rawCode: number, ownSignal: string | number | null = null): DecodedExit {
  if (typeof ownSignal === "number") return { code: null, signal: signalName(ownSignal) };
  if (ownSignal !== null) return { code: null, signal: ownSignal };
  if (rawCode > 128 && rawCode < 128 + 65) return { code: null, signal: signalName(rawCode - 128) };
  return { code: rawCode, signal: null };
}

const SIGNAL_NAMES: Record<number, string> = { 1: "SIGHUP", 2: "SIGINT", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM", 24: "SIGXCPU", 25: "SIGXFSZ" };

function signalName(num: number): string {
  return SIGNAL_NAMES[num] ?? `SIG${num}`;
}
