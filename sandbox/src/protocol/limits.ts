/**
 * The caps on what a runner may send, enforced by the service as frames are read (instance.ts),
 * whatever the runner inside does; the runner is told the ones it must keep to (`execute`).
 */

const KIB = 1024;
const MIB = 1024 * KIB;

export interface RunnerLimits {
  /** stdout + stderr of one execution (SANDBOX_MAX_OUTPUT_BYTES). */
  maxOutputBytes: number;
  /** One frame from the runner; a larger length prefix ends the channel before its body is read. */
  maxFrameBytes: number;
  /** Calls in one `tool_calls` message (the runner sends more in later messages). */
  maxToolCalls: number;
  /** Every byte the runner sends over one execution, all its tool calls and its result. */
  maxExecutionBytes: number;
}

/** Tool-call input an execution can always send in one message, whatever the output cap. */
const TOOL_CALLS_FRAME_BYTES = 8 * MIB;
/** JSON writes a control character as \u00XX: 6 bytes for each byte of output, at worst. */
const JSON_EXPANSION = 6;
const MAX_TOOL_CALLS = 256;
/** Frames of the largest size one execution may send in all. */
const FRAMES_PER_EXECUTION = 16;

export function runnerLimits(maxOutputBytes: number): RunnerLimits {
  const maxFrameBytes = Math.max(TOOL_CALLS_FRAME_BYTES, JSON_EXPANSION * maxOutputBytes + 64 * KIB);
  return { maxOutputBytes, maxFrameBytes, maxToolCalls: MAX_TOOL_CALLS, maxExecutionBytes: FRAMES_PER_EXECUTION * maxFrameBytes };
}
