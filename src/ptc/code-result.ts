/** How one code call ended, as Anthropic's `code_execution_tool_result` content says it. */
export type CodeOutcome =
  | { type: "code_execution_result"; stdout: string; stderr: string; return_code: number; content: [] }
  | {
      type: "code_execution_tool_result_error";
      error_code: "invalid_tool_input" | "unavailable" | "too_many_requests" | "execution_time_exceeded";
      message?: string;
    };
