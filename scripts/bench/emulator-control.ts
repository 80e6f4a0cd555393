/**
 * The emulator's test API (`/_emulator/*`): queue the turns a phase needs, and reset between phases
 * so that turns a bounded loop left unused never leak into the next phase.
 */

export interface ScriptedTurn {
  content: { text: string }[];
  firstByteDelayMs?: number;
  chunkDelayMs?: number;
  chunkChars?: number;
}

export async function resetEmulator(emulatorUrl: string): Promise<void> {
  const response = await fetch(`${emulatorUrl}/_emulator/reset`, { method: "POST" });
  if (!response.ok) throw new Error(`emulator reset failed: HTTP ${response.status}`);
}

/** Queues `count` copies of `turn`; each request (direct or through the proxy) takes one. */
export function queueTurns(emulatorUrl: string, turn: ScriptedTurn, count: number): Promise<void> {
  return queueScript(emulatorUrl, Array.from({ length: count }, () => turn));
}

/** Queues `turns` in order, in any form the emulator's script takes (emulator/script.ts: tool calls too). */
export async function queueScript(emulatorUrl: string, turns: readonly object[]): Promise<void> {
  const body = JSON.stringify({ responses: turns });
  const response = await fetch(`${emulatorUrl}/_emulator/script`, { method: "POST", body });
  if (!response.ok) throw new Error(`emulator script failed: HTTP ${response.status}: ${await response.text()}`);
}

/** A text of exactly `deltas` pieces of `chunkChars` characters, so the stream's length is known. */
export function textOfDeltas(deltas: number, chunkChars: number): string {
  const word = "token ";
  return word.repeat(Math.ceil((deltas * chunkChars) / word.length)).slice(0, deltas * chunkChars);
}
