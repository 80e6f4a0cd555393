import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadSandboxConfig, sandboxConfigSchema } from "../../sandbox/src/config.ts";
import { configSchema, loadConfig } from "../../src/config.ts";

/** `.env.example` and the README's configuration tables must stay in step with the code, for the proxy and the sandbox service. */

const root = resolve(import.meta.dir, "../..");
const example = readFileSync(resolve(root, ".env.example"), "utf8");
const readme = readFileSync(resolve(root, "README.md"), "utf8");

const proxyVariables = Object.keys(configSchema.shape);
const sandboxVariables = Object.keys(sandboxConfigSchema.shape);
/** What compose.yaml interpolates from .env (`${NAME…}`): .env.example names those too. */
const composeVariables = [...readFileSync(resolve(root, "compose.yaml"), "utf8").matchAll(/\$\{([A-Z][A-Z0-9_]+)/g)].map((m) => m[1] ?? "");
/** The one sandbox setting without a default; the proxy ignores it. */
const sandboxRequired = { SANDBOX_TOKEN: "t" };

/** Variables named in the first column of the tables of one README section (to the next heading of its level or above). */
function tableVariables(heading: string): string[] {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`README has no section ${heading}`);
  const level = (heading.split(" ")[0] ?? "##").length;
  const body = readme.slice(start + heading.length + 2);
  const next = new RegExp(`^#{1,${level}} `, "m").exec(body);
  const section = next === null ? body : body.slice(0, next.index);
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1] ?? "").sort();
}

describe("documented configuration", () => {
  test(".env.example names every variable of both services and of compose.yaml, and only those", () => {
    const named = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1] ?? "").sort();
    // SANDBOX_TOKEN is read by both: the service's token, and the proxy's credential for it.
    expect([...new Set(named)]).toEqual([...new Set([...proxyVariables, ...sandboxVariables, ...composeVariables])].sort());
  });

  test("the defaults .env.example shows are the code's defaults", () => {
    const shown = Object.fromEntries([...example.matchAll(/^([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]));
    expect(loadConfig(shown)).toEqual(loadConfig({}));
    expect(loadSandboxConfig({ ...shown, ...sandboxRequired })).toEqual(loadSandboxConfig(sandboxRequired));
  });

  test("the README's configuration table names every proxy variable", () => {
    expect(tableVariables("## Configuration")).toEqual([...proxyVariables].sort());
  });

  test("the README's sandbox settings table names every sandbox variable", () => {
    expect(tableVariables("### Settings")).toEqual([...sandboxVariables].sort());
  });
});
