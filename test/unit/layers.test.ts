import { describe, expect, test } from "bun:test";
import path from "node:path";
import { Glob } from "bun";

/**
 * The layers of the tree, lowest first: a folder imports only from its own layer and those below it.
 * Type-only imports count too (they tie a folder to another's vocabulary as much as any other import),
 * so the specifiers are read with a regex rather than `Bun.Transpiler#scanImports`, which drops them.
 */

const root = path.resolve(import.meta.dir, "../..");

interface Rule {
  /** A folder of the repository, relative to its root. */
  folder: string;
  /** Folders whose files it must not import. */
  mayNotImport: string[];
  why: string;
}

const rules: Rule[] = [
  { folder: "lib", mayNotImport: ["src", "sandbox", "emulator", "scripts", "test"], why: "lib/ is the leaf both services share" },
  { folder: "sandbox", mayNotImport: ["src", "emulator", "scripts", "test"], why: "the sandbox service is its own deployable" },
  { folder: "emulator", mayNotImport: ["src/gateway", "src/store", "src/http", "sandbox"], why: "a double of Bedrock knows only Bedrock's side" },
  { folder: "src", mayNotImport: ["emulator", "scripts", "test"], why: "the emulator is a test double, out of the proxy's image" },
  { folder: "deploy", mayNotImport: ["src", "sandbox", "emulator", "scripts", "test"], why: "the AWS deployment restates what it needs of the services; tests prove they agree" },
  { folder: "scripts", mayNotImport: ["src/http"], why: "a tool shares the gateway's views and services, never a route file" },
  { folder: "src/aws", mayNotImport: ["src/anthropic", "src/bedrock", "src/gateway", "src/store", "src/http"], why: "the AWS transport serves Bedrock and DynamoDB alike" },
  { folder: "src/anthropic", mayNotImport: ["src/bedrock", "src/gateway", "src/store", "src/http"], why: "the Anthropic API's vocabulary stands alone" },
  { folder: "src/bedrock", mayNotImport: ["src/gateway", "src/store", "src/http"], why: "Bedrock knows nothing of keys, storage or HTTP routes" },
  { folder: "src/gateway", mayNotImport: ["src/store", "src/http"], why: "the gateway declares what it needs of a store; the store implements it" },
  { folder: "src/store", mayNotImport: ["src/bedrock", "src/http"], why: "storage keeps the gateway's records; its AWS transport is src/aws/" },
  { folder: "src/ptc", mayNotImport: ["src/http", "src/store", "sandbox"], why: "PTC runs over the gateway and the model upstreams; the HTTP layer wires it, the sandbox is reached over HTTP" },
  { folder: "src/bedrock", mayNotImport: ["src/ptc"], why: "the model upstreams know nothing of the PTC loop above them" },
  { folder: "src/gateway", mayNotImport: ["src/ptc"], why: "keys, limits and usage know nothing of the PTC loop above them" },
  { folder: "src/anthropic", mayNotImport: ["src/ptc"], why: "the Anthropic API's vocabulary stands alone" },
  { folder: "src/portal", mayNotImport: ["src/store", "sandbox"], why: "the portal reads through the gateway's store interface and services, as the admin API does" },
  { folder: "src/gateway", mayNotImport: ["src/portal"], why: "keys, limits, usage and audit know nothing of the web pages above them" },
  {
    folder: "src/observability",
    mayNotImport: ["src/aws", "src/anthropic", "src/bedrock", "src/gateway", "src/store", "src/http", "src/ptc", "sandbox"],
    why: "tracing and metrics are a leaf every layer may use",
  },
];

/** `import … from "x"`, `export … from "x"`, `import "x"`, `import("x")`, `import x = require("x")`. */
const specifierPattern = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"']+)["']/g;

function importsOf(source: string): string[] {
  return Array.from(source.matchAll(specifierPattern), (match) => match[1] ?? "");
}

/** The folder's source files and every relative import they make, as repository paths. */
async function scan(folder: string): Promise<{ files: number; edges: { file: string; target: string }[] }> {
  const edges: { file: string; target: string }[] = [];
  let files = 0;
  for await (const file of new Glob(`${folder}/**/*.{ts,tsx,js,mjs}`).scan({ cwd: root })) {
    if (file.includes("node_modules/")) continue;
    files++;
    for (const specifier of importsOf(await Bun.file(path.join(root, file)).text())) {
      if (!specifier.startsWith(".")) continue;
      edges.push({ file, target: path.relative(root, path.resolve(root, path.dirname(file), specifier)) });
    }
  }
  return { files, edges };
}

const inside = (file: string, folder: string) => file === folder || file.startsWith(`${folder}/`);

describe("layers", () => {
  test("the specifier reader sees every form of import, type-only ones included", () => {
    const source = [
      'import { a } from "./a.ts";',
      'import type { B } from "../b.ts";',
      'export { c } from "./c.ts";',
      'export type * from "./d.ts";',
      'import "./e.ts";',
      'const f = await import("./f.ts");',
      "import {\n  g,\n  type H,\n} from './g.ts';",
    ].join("\n");
    expect(importsOf(source)).toEqual(["./a.ts", "../b.ts", "./c.ts", "./d.ts", "./e.ts", "./f.ts", "./g.ts"]);
  });

  for (const rule of rules) {
    test(`${rule.folder}/ imports nothing from ${rule.mayNotImport.map((f) => `${f}/`).join(", ")} (${rule.why})`, async () => {
      const { files, edges } = await scan(rule.folder);
      expect(files).toBeGreaterThan(0);
      const crossing = edges.filter(({ target }) => rule.mayNotImport.some((above) => inside(target, above)));
      expect(crossing.map(({ file, target }) => `${file} -> ${target}`)).toEqual([]);
    });
  }
});
