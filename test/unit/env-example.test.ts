import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { configSchema, loadConfig } from "../../src/config.ts";

/** `.env.example` and the README's configuration table must stay in step with the code. */

const root = resolve(import.meta.dir, "../..");
const variables = Object.keys(configSchema.shape).sort();

describe("documented configuration", () => {
  const example = readFileSync(resolve(root, ".env.example"), "utf8");

  test(".env.example names every variable, and only those", () => {
    const named = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1] ?? "").sort();
    expect([...new Set(named)]).toEqual(variables);
  });

  test("the defaults .env.example shows are the code's defaults", () => {
    const shown = Object.fromEntries([...example.matchAll(/^([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]));
    expect(loadConfig(shown)).toEqual(loadConfig({}));
  });

  test("the README's configuration table names every variable", () => {
    const readme = readFileSync(resolve(root, "README.md"), "utf8");
    const table = [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1] ?? "").sort();
    expect(table).toEqual(variables);
  });
});
