import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BetaToolUnion } from "@anthropic-ai/sdk/resources/beta/messages";
import { codeToolDescription, codeToolForModel, pythonName, pythonType } from "../../../src/ptc/code-tool.ts";
import { planPtc } from "../../../src/ptc/plan.ts";
import { ownFixtures } from "../../support/fixtures.ts";
import { clientRequest, codeTool, directTool, searchTool, weatherTool } from "./fixtures.ts";

/** The code tool the model sees: its input, and its description (golden: test/fixtures/ptc/). */

const goldenDir = join(ownFixtures, "ptc");

/** A text golden file; UPDATE_GOLDEN=1 rewrites it, a missing one is written and fails so it gets reviewed. */
function expectGoldenText(actual: string, name: string): void {
  const path = join(goldenDir, name);
  if (process.env["UPDATE_GOLDEN"] === "1" || !existsSync(path)) {
    writeFileSync(path, actual);
    if (process.env["UPDATE_GOLDEN"] !== "1") throw new Error(`golden file ${path} was missing and has been written: review it`);
    return;
  }
  expect(actual).toBe(readFileSync(path, "utf8"));
}

const planOf = (tools: BetaToolUnion[]) => {
  const plan = planPtc(clientRequest(tools, [{ role: "user", content: "hi" }]));
  if (!plan) throw new Error("expected a PTC plan");
  return plan;
};

const noArgs = {
  name: "list-regions",
  description: "List the regions.",
  input_schema: { type: "object" },
  allowed_callers: ["code_execution_20250825"],
} satisfies BetaToolUnion;

const ping = { name: "ping", input_schema: { type: "object" }, allowed_callers: ["code_execution_20250825"] } satisfies BetaToolUnion;
const quoting = {
  name: "quote",
  description: 'Wraps text in """triple quotes""".',
  input_schema: { type: "object", properties: { text: { type: "string" }, from: { type: "string" } }, required: ["text"] },
  input_examples: [{ text: "hi", from: null, strict: true }],
  allowed_callers: ["code_execution_20250825"],
} satisfies BetaToolUnion;

const allTools = [codeTool, weatherTool, directTool, searchTool, noArgs, ping, quoting];

/** The stubs after the prose: what python3 must parse. */
function stubsOf(description: string): string {
  return description.slice(description.indexOf("async def"));
}

describe("the code tool", () => {
  test("an ordinary tool of the code tool's name, taking {code}", () => {
    const tool = codeToolForModel(planOf([codeTool, weatherTool]));
    expect(tool).toMatchObject({ name: "code_execution", input_schema: { type: "object", properties: { code: { type: "string" } }, required: ["code"] } });
    expect(tool).not.toHaveProperty("type");
  });

  test("golden: code-only and both-ways tools with nested, array, enum, optional, defaulted and non-identifier params", () => {
    expectGoldenText(codeToolDescription(planOf(allTools).codeCallable), "code-tool-description.txt");
  });

  test("the stubs are valid Python (python3 parses them)", () => {
    const source = `from typing import Any, Literal\n\n${stubsOf(codeToolDescription(planOf(allTools).codeCallable))}\n`;
    if (!Bun.which("python3")) throw new Error("python3 is needed for this test: apt-get install python3");
    const parsed = Bun.spawnSync(["python3", "-c", "import ast, sys; ast.parse(sys.stdin.read())"], { stdin: new TextEncoder().encode(source), stderr: "pipe" });
    expect(parsed.stderr.toString()).toBe("");
    expect(parsed.exitCode).toBe(0);
  });

  test("golden: no code-callable tool, only how code runs", () => {
    expectGoldenText(codeToolDescription(planOf([codeTool, directTool]).codeCallable), "code-tool-alone.txt");
  });

  test("deterministic: the same tools give the same text", () => {
    const tools = [codeTool, weatherTool, searchTool];
    expect(codeToolDescription(planOf(tools).codeCallable)).toBe(codeToolDescription(planOf(structuredClone(tools)).codeCallable));
  });

  test("a tool's `-` is `_` in Python, as the sandbox runner names the function", () => {
    expect(pythonName("search-docs-v2")).toBe("search_docs_v2");
    expect(codeToolDescription(planOf([codeTool, searchTool]).codeCallable)).toContain("async def search_docs(");
  });
});

describe("JSON schema types as Python annotations", () => {
  test.each([
    [{ type: "string" }, "str"],
    [{ type: "integer" }, "int"],
    [{ type: "number" }, "float"],
    [{ type: "boolean" }, "bool"],
    [{ type: "null" }, "None"],
    [{ type: "array", items: { type: "integer" } }, "list[int]"],
    [{ type: "array" }, "list[Any]"],
    [{ type: "object", properties: { a: { type: "string" } } }, "dict[str, Any]"],
    [{ enum: ["a", 1, true, null] }, 'Literal["a", 1, True, None]'],
    [{ const: "x" }, 'Literal["x"]'],
    [{ type: ["string", "null"] }, "str | None"],
    [{ anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] }, "str | list[str]"],
    [{ oneOf: [{ type: "string" }, {}] }, "Any"],
    [{}, "Any"],
    ["not a schema", "Any"],
  ])("%j → %s", (schema, annotation) => {
    expect(pythonType(schema)).toBe(annotation);
  });
});
