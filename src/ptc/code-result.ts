import type { CacheControl, ToolResultBlockParam } from "../anthropic/schema.ts";

/**
 * What the model reads as the code tool's result: one text, for fresh results and for the
 * `code_execution_tool_result` blocks a client sends back alike, so the model sees the same thing
 * either way (docs/ptc.md#what-the-model-reads).
 */

export type CodeOutcome =
  | { type: "code_execution_result"; stdout: string; stderr: string; return_code: number; content: [] }
  | {
      type: "code_execution_tool_result_error";
      error_code: "invalid_tool_input" | "unavailable" | "too_many_requests" | "execution_time_exceeded";
      message?: string;
    };

type ErrorCode = Extract<CodeOutcome, { type: "code_execution_tool_result_error" }>["error_code"];

/** A sentence per error the model can act on (what happened, what to do next), when the sandbox gives none. */
const errorAdvice: Record<ErrorCode, string> = {
  invalid_tool_input: "The code could not be run as given. Check that the input is Python source in `code` and try again.",
  unavailable: "The code execution service is unavailable right now. Try again later, or answer without running code.",
  too_many_requests: "Too many code executions are running for this key. Wait, or answer without running code.",
  execution_time_exceeded: "The code ran past its time limit and was stopped. Make it do less work per run (smaller inputs, no endless loops).",
};

/** What the model reads for one code tool call. */
export function codeResultForModel(outcome: CodeOutcome): string {
  // The sandbox's own message (a memory or output overrun) says more than the code's general sentence.
  if (outcome.type === "code_execution_tool_result_error") return `Error: ${outcome.error_code}. ${outcome.message ?? errorAdvice[outcome.error_code]}`;
  const parts = [`<return_code>${outcome.return_code}</return_code>`];
  if (outcome.stdout) parts.push(`<stdout>\n${outcome.stdout}\n</stdout>`);
  if (outcome.stderr) parts.push(`<stderr>\n${outcome.stderr}\n</stderr>`);
  if (!outcome.stdout && !outcome.stderr) parts.push("(the code printed nothing; use print() to see values)");
  return parts.join("\n");
}

/** The code tool's result as the model's conversation holds it; an error outcome is marked as one. */
export function codeToolResultBlock(toolUseId: string, outcome: CodeOutcome, cacheControl?: CacheControl | null): ToolResultBlockParam {
  return {
    type: "tool_result",
    tool_use_id: toolUseId,
    content: codeResultForModel(outcome),
    ...(outcome.type === "code_execution_tool_result_error" ? { is_error: true } : {}),
    ...(cacheControl ? { cache_control: cacheControl } : {}),
  };
}
