import type { CustomToolParam } from "../anthropic/schema.ts";
import type { PtcPlan } from "./plan.ts";

/**
 * The code execution tool as the model sees it: an ordinary tool taking `{code}`, whose description
 * says how the code runs (the sandbox runner's rules, sandbox/runner/execution.py) and lists one Python
 * stub per tool the code may call, generated from the tool's declaration (docs/ptc.md#the-code-tool).
 * Deterministic: the same tools give the same text, so the prompt cache keeps it.
 */

const codeInputSchema = {
  type: "object",
  properties: { code: { type: "string", description: "Python source, run as the body of an async function." } },
  required: ["code"],
};

const howCodeRuns = [
  "Run Python code in a sandbox. The code is the body of an async function: `await` works at the top level, and `return` ends the run early.",
  "Only what the code prints is shown to you: `print` every value you want to see, and keep the output short (summarise large results in the code).",
];

const howToolsAreCalled = [
  "The code can call the functions below. Each one calls a tool and returns its result (usually a string: `json.loads` it when the tool returns JSON).",
  "Pass arguments by keyword. `await` one call; run independent calls in parallel with `asyncio.gather(...)` (`import asyncio` first).",
  "When a tool reports an error, the call raises `ToolError` (its message is the tool's error); catch it to carry on.",
];

export function codeToolForModel(plan: PtcPlan): CustomToolParam {
  return { name: plan.codeTool.name, description: codeToolDescription(plan.codeCallable), input_schema: codeInputSchema };
}

export function codeToolDescription(tools: readonly CustomToolParam[]): string {
  if (tools.length === 0) return howCodeRuns.join("\n");
  const stubs = tools.map(pythonStub).join("\n\n");
  return [...howCodeRuns, ...howToolsAreCalled, "", stubs].join("\n");
}

/** The runner names a tool's function after the tool, `-` read as `_` (sandbox/runner/execution.py). */
export function pythonName(toolName: string): string {
  return toolName.replaceAll("-", "_");
}

type JsonSchema = Record<string, unknown>;

function pythonStub(tool: CustomToolParam): string {
  const properties = objectProperties(tool.input_schema);
  const required = requiredNames(tool.input_schema);
  const params = properties.map(([name, schema]) => parameter(name, schema, required.has(name)));
  const plain = params.filter((param) => param.identifier);
  const signature = [...(plain.length > 0 ? ["*", ...plain.map((param) => param.text)] : []), ...(plain.length < params.length ? ["**kwargs: Any"] : [])];
  return [definition(pythonName(tool.name), signature), ...docstring(docLines(tool, params))].join("\n");
}

/** The stub's body: its docstring, or `...` when there is nothing to say. */
function docstring(lines: readonly string[]): string[] {
  const [first, ...rest] = lines.map((line) => line.replaceAll('"""', '\\"\\"\\"'));
  if (!first) return ["    ..."];
  if (rest.length === 0) return [`    """${first}"""`];
  return [`    """${first}`, ...rest.map((line) => (line ? `    ${line}` : line)), '    """'];
}

const maxLineLength = 100;

/** One line when it fits, else one parameter per line (as black would write it). */
function definition(name: string, signature: readonly string[]): string {
  const oneLine = `async def ${name}(${signature.join(", ")}) -> Any:`;
  if (oneLine.length <= maxLineLength) return oneLine;
  return [`async def ${name}(`, ...signature.map((param) => `    ${param},`), ") -> Any:"].join("\n");
}

interface Parameter {
  name: string;
  /** Whether it can be written as a keyword argument; other names go through `**{"name": value}`. */
  identifier: boolean;
  text: string;
  doc: string;
}

function parameter(name: string, schema: JsonSchema, required: boolean): Parameter {
  const annotation = pythonType(schema);
  const identifier = isPythonIdentifier(name);
  const text = required ? `${name}: ${annotation}` : `${name}: ${withNone(annotation)} = None`;
  const notes = [
    stringOf(schema["description"]),
    identifier ? "" : `Pass it as **{${JSON.stringify(name)}: value}.`,
    required ? "" : "Optional.",
    schema["default"] !== undefined ? `Default: ${pythonLiteral(schema["default"])}.` : "",
    nestedFields(schema),
  ].filter(Boolean);
  const head = `${name} (${annotation})`;
  return { name, identifier, text, doc: notes.length > 0 ? `${head}: ${notes.join(" ")}` : head };
}

function docLines(tool: CustomToolParam, params: readonly Parameter[]): string[] {
  const summary = (tool.description ?? "").trim().split("\n").filter((line, i) => i > 0 || line);
  const args = params.length > 0 ? ["Args:", ...params.map((param) => `    ${param.doc}`)] : [];
  const examples = (tool.input_examples ?? []).map((input) => `    await ${pythonCall(pythonName(tool.name), input)}`);
  const sections = [summary, args, examples.length > 0 ? ["Examples:", ...examples] : []].filter((lines) => lines.length > 0);
  return sections.flatMap((lines, i) => (i === 0 ? lines : ["", ...lines]));
}

/** A tool's input example as the call the code would make. */
function pythonCall(name: string, input: Record<string, unknown>): string {
  const entries = Object.entries(input);
  const keywords = entries.filter(([key]) => isPythonIdentifier(key)).map(([key, value]) => `${key}=${pythonLiteral(value)}`);
  const others = entries.filter(([key]) => !isPythonIdentifier(key));
  const spread = others.length > 0 ? [`**${pythonLiteral(Object.fromEntries(others))}`] : [];
  return `${name}(${[...keywords, ...spread].join(", ")})`;
}

/** A JSON schema as a Python annotation: scalars, lists, Literal for enums, unions; Any when unsaid. */
export function pythonType(schema: unknown): string {
  if (!isSchema(schema)) return "Any";
  const choices = schema["enum"] ?? ("const" in schema ? [schema["const"]] : undefined);
  if (Array.isArray(choices)) return `Literal[${choices.map(pythonLiteral).join(", ")}]`;
  const variants = schema["anyOf"] ?? schema["oneOf"];
  if (Array.isArray(variants)) return union(variants.map(pythonType));
  const type = schema["type"];
  if (Array.isArray(type)) return union(type.map((each) => pythonType({ ...schema, type: each })));
  switch (type) {
    case "string":
      return "str";
    case "integer":
      return "int";
    case "number":
      return "float";
    case "boolean":
      return "bool";
    case "null":
      return "None";
    case "array":
      return `list[${pythonType(schema["items"])}]`;
    case "object":
      return "dict[str, Any]";
    default:
      return "Any";
  }
}

function union(types: readonly string[]): string {
  const distinct = [...new Set(types)];
  return distinct.includes("Any") ? "Any" : distinct.join(" | ");
}

function withNone(annotation: string): string {
  return annotation === "Any" || annotation.split(" | ").includes("None") ? annotation : `${annotation} | None`;
}

/** A JSON value written as Python. */
function pythonLiteral(value: unknown): string {
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(", ")}]`;
  if (isSchema(value)) return `{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${pythonLiteral(item)}`).join(", ")}}`;
  return JSON.stringify(value);
}

/** An object parameter's own fields, so the model knows the dict's keys. */
function nestedFields(schema: JsonSchema): string {
  const item = schema["type"] === "array" && isSchema(schema["items"]) ? schema["items"] : schema;
  const fields = objectProperties(item);
  if (fields.length === 0) return "";
  const required = requiredNames(item);
  const listed = fields.map(([name, field]) => `${JSON.stringify(name)}: ${pythonType(field)}${required.has(name) ? "" : " (optional)"}`);
  return `${item === schema ? "Keys" : "Each item's keys"}: {${listed.join(", ")}}.`;
}

function objectProperties(schema: unknown): [string, JsonSchema][] {
  if (!isSchema(schema) || !isSchema(schema["properties"])) return [];
  return Object.entries(schema["properties"]).map(([name, value]): [string, JsonSchema] => [name, isSchema(value) ? value : {}]);
}

function requiredNames(schema: unknown): Set<string> {
  const required = isSchema(schema) ? schema["required"] : undefined;
  return new Set(Array.isArray(required) ? required.filter((name): name is string => typeof name === "string") : []);
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringOf(value: unknown): string {
  return typeof value === "string" ? value.trim() : "";
}

const pythonKeywords = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield".split(" "),
);

function isPythonIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !pythonKeywords.has(name);
}
