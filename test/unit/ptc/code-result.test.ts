import { describe, expect, test } from "bun:test";
import { type CodeOutcome, codeResultForModel, codeToolResultBlock } from "../../../src/ptc/code-result.ts";

/** What the model reads as the code tool's result. */

const ran = (stdout: string, stderr = "", return_code = 0): CodeOutcome => ({ type: "code_execution_result", stdout, stderr, return_code, content: [] });

describe("codeResultForModel", () => {
  test("stdout, stderr and the return code, each in its own section", () => {
    expect(codeResultForModel(ran("42\n", "warning: x\n", 0))).toBe("<return_code>0</return_code>\n<stdout>\n42\n\n</stdout>\n<stderr>\nwarning: x\n\n</stderr>");
  });

  test("code that raised: the traceback on stderr and return code 1", () => {
    const traceback = 'Traceback (most recent call last):\n  File "<code>", line 1\nValueError: bad\n';
    expect(codeResultForModel(ran("", traceback, 1))).toBe(`<return_code>1</return_code>\n<stderr>\n${traceback}\n</stderr>`);
  });

  test("nothing printed: the model is told to print", () => {
    expect(codeResultForModel(ran(""))).toBe("<return_code>0</return_code>\n(the code printed nothing; use print() to see values)");
  });

  test.each([
    ["execution_time_exceeded", "time limit"],
    ["unavailable", "unavailable"],
    ["too_many_requests", "Too many"],
    ["invalid_tool_input", "could not be run"],
  ] as const)("%s: the code, and a sentence the model can act on", (error_code, words) => {
    const read = codeResultForModel({ type: "code_execution_tool_result_error", error_code });
    expect(read).toStartWith(`Error: ${error_code}. `);
    expect(read).toContain(words);
  });

  test("the sandbox's message (a memory or output overrun) stands in for the general sentence", () => {
    const message = "The code used more memory than its 512 MB limit: work on smaller pieces of the data.";
    expect(codeResultForModel({ type: "code_execution_tool_result_error", error_code: "unavailable", message })).toBe(`Error: unavailable. ${message}`);
  });
});

describe("codeToolResultBlock", () => {
  test("a run is a plain tool_result; an error outcome is marked is_error", () => {
    expect(codeToolResultBlock("srvtoolu_1", ran("1\n"))).toEqual({ type: "tool_result", tool_use_id: "srvtoolu_1", content: codeResultForModel(ran("1\n")) });
    expect(codeToolResultBlock("srvtoolu_1", ran("", "boom", 1))).not.toHaveProperty("is_error");
    const failed: CodeOutcome = { type: "code_execution_tool_result_error", error_code: "too_many_requests" };
    expect(codeToolResultBlock("srvtoolu_2", failed, { type: "ephemeral" })).toEqual({
      type: "tool_result",
      tool_use_id: "srvtoolu_2",
      content: codeResultForModel(failed),
      is_error: true,
      cache_control: { type: "ephemeral" },
    });
  });
});
