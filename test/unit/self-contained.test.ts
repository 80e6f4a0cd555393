/**
 * The repository stands on its own: comments and tests cite documents inside it (docs/), never the
 * workspace around it, and every anchor they cite exists. One helper per job: one abortable sleep,
 * one process supervisor, one place that knows where test data lives.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const root = resolve(import.meta.dir, "../..");
const codeFolders = ["src", "emulator", "sandbox", "lib", "test", "scripts"];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules" || name === "fixtures") return [];
    if (statSync(path).isDirectory()) return filesUnder(path);
    return /\.(ts|py|sh)$/.test(name) ? [path] : [];
  });
}

const sources = codeFolders.flatMap((folder) => filesUnder(join(root, folder))).map((path) => ({ path: relative(root, path), text: readFileSync(path, "utf8") }));
const where = (path: string, text: string, pattern: RegExp) => text.split("\n").flatMap((line, i) => (pattern.test(line) ? [`${path}:${i + 1}: ${line.trim()}`] : []));
const find = (pattern: RegExp, except: string[] = []) => sources.filter(({ path }) => !except.includes(path)).flatMap(({ path, text }) => where(path, text, pattern));

/** GitHub's anchor for a heading: lower case, punctuation but `-` and `_` removed, spaces as dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

function anchorsOf(doc: string): Set<string> {
  const text = readFileSync(join(root, doc), "utf8");
  return new Set([...text.matchAll(/^#+ (.+)$/gm)].map((match) => anchorOf(match[1] ?? "")));
}

const fixturesModule = "test/support/fixtures.ts";
const selfTest = "test/unit/self-contained.test.ts";

describe("documentation inside the repository", () => {
  test("no code, comment or test names a document outside it (../shared, protocol.md) but the fixtures module", () => {
    expect(find(/\.\.\/shared|shared\/reference|(?<![\w-])protocol\.md/, [fixturesModule, selfTest])).toEqual([]);
  });

  test("every docs/…md#anchor cited in code exists", () => {
    const cited = sources.flatMap(({ path, text }) => [...text.matchAll(/docs\/([\w-]+\.md)#([\w-]+)/g)].map((m) => ({ path, doc: `docs/${m[1]}`, anchor: m[2] ?? "" })));
    expect(cited.length).toBeGreaterThan(10);
    const missing = cited.filter(({ doc, anchor }) => !existsSync(join(root, doc)) || !anchorsOf(doc).has(anchor));
    expect(missing).toEqual([]);
  });

  test("every link inside docs/ reaches a heading", () => {
    for (const doc of readdirSync(join(root, "docs")).map((name) => `docs/${name}`)) {
      const links = [...readFileSync(join(root, doc), "utf8").matchAll(/\]\(#([\w-]+)\)/g)].map((m) => m[1] ?? "");
      expect({ doc, missing: links.filter((anchor) => !anchorsOf(doc).has(anchor)) }).toEqual({ doc, missing: [] });
    }
  });

  test("production code cites pitfalls by their anchor, not by a bare number", () => {
    const bare = find(/pitfall \d+/i).filter((line) => !line.startsWith("test/"));
    expect(bare).toEqual([]);
  });

  test("every pitfall a test names is in the notes", () => {
    const documented = anchorsOf("docs/bedrock-protocol.md");
    const named = new Set(find(/pitfall \d+/i).flatMap((line) => [...line.matchAll(/pitfall (\d+)/gi)].map((m) => m[1])));
    const known = (n: string) => [...documented].some((anchor) => anchor.startsWith(`p${n}-`));
    expect([...named].filter((n) => n !== undefined && !known(n))).toEqual([]);
  });
});

describe("one helper per job", () => {
  test("one abortable sleep: lib/sleep.ts", () => {
    expect(find(/function sleep\b|const sleep\s*=\s*(async\s*)?\(/, ["lib/sleep.ts", selfTest])).toEqual([]);
  });

  test("one process supervisor: test/support/service-process.ts spawns, readies and stops the services of tests and bench", () => {
    const supervisor = "test/support/service-process.ts";
    expect(find(/function freePort\b|function onFreePort\b|function startServiceProcess\b/, [supervisor, selfTest])).toEqual([]);
    expect(find(/\.kill\("SIG(TERM|KILL)"\)/, [supervisor, selfTest]).filter((line) => /^(test\/support|scripts)\//.test(line))).toEqual([]);
  });

  test("one fixtures path: only the fixtures module spells where test data lives", () => {
    const code = (line: string) => !/^\S+:\d+: (\*|\/\/|\/\*\*)/.test(line);
    expect(find(/["'`][^"'`]*(shared\/fixtures|test\/fixtures|\.\.\/fixtures)[^"'`]*["'`]/, [fixturesModule, selfTest]).filter(code)).toEqual([]);
  });
});
