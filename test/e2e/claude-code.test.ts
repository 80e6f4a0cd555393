import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * The real Claude Code CLI in print mode, with ANTHROPIC_BASE_URL set to the proxy: it must get the
 * scripted answer through proxy and emulator, and every call it makes must get a 2xx. Two CLIs run
 * the same test: the pinned one and the newest (devDependencies `@anthropic-ai/claude-code` and
 * `claude-code-latest`, an npm alias of the same package), which send different requests.
 */
const clis = [
  { installedAs: "@anthropic-ai/claude-code", pinned: "2.1.197" },
  { installedAs: "claude-code-latest", pinned: "2.1.332" },
];

/** The npm package ships its native binary in a per-platform package (its own postinstall only links it). */
function claudeBinary(installedAs: string, pinned: string): { path: string; version: string } {
  const platformPackage = `@anthropic-ai/claude-code-${process.platform}-${process.arch === "x64" ? "x64" : "arm64"}`;
  let path: string | undefined;
  let version = "";
  try {
    const main = require.resolve(`${installedAs}/package.json`);
    version = (JSON.parse(readFileSync(main, "utf8")) as { version: string }).version;
    // Each CLI finds its own platform package: the newest one's is nested under it.
    path = join(dirname(require.resolve(`${platformPackage}/package.json`, { paths: [dirname(main)] })), "claude");
  } catch {
    path = undefined;
  }
  if (!path || !existsSync(path)) {
    throw new Error(`The Claude Code CLI is missing (${installedAs}, ${platformPackage}). Install it with: bun install (a devDependency, @anthropic-ai/claude-code@${pinned})`);
  }
  return { path, version };
}

let stack: Stack;
beforeAll(async () => {
  // Claude Code always sends a key, and open mode lets only a missing one through: it sends the master key.
  stack = await startStack({ MODEL_MAP: JSON.stringify({ coder: "qwen.qwen3-coder-480b-a35b-v1:0" }), MASTER_API_KEY: "sk-test-proxy-key" });
});
afterAll(() => stack.stop());

async function runClaude(binary: string, prompt: string, extraArgs: string[] = []) {
  const home = mkdtempSync(join(tmpdir(), "claude-home-"));
  const child = Bun.spawn([binary, "-p", prompt, "--output-format", "json", ...extraArgs], {
    cwd: home,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      ANTHROPIC_BASE_URL: stack.proxyUrl,
      ANTHROPIC_API_KEY: "sk-test-proxy-key",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_ERROR_REPORTING: "1",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => child.kill(), 90_000);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  return { stdout, stderr, exitCode };
}

for (const { installedAs, pinned } of clis) {
  const cli = claudeBinary(installedAs, pinned);
  const claude = (prompt: string, extraArgs: string[] = []) => runClaude(cli.path, prompt, extraArgs);

  describe(`Claude Code ${cli.version} smoke test`, () => {
    test("installs the pinned version", () => {
      expect(cli.version).toBe(pinned);
    });

    test("print mode gets the scripted answer and every call it made got a 2xx", async () => {
      await stack.reset();
      // Claude Code appends its mid-conversation system message to the user turn, so turns are
      // matched by order here rather than by the user's text.
      await stack.script({ content: [{ text: "pong from the Bedrock emulator" }] });
      const logged = stack.accessLog().length;
      const run = await claude("say ping");
      if (run.exitCode !== 0) console.error(run.stderr, run.stdout);
      expect(run.exitCode).toBe(0);
      const result = JSON.parse(run.stdout) as { result?: string; is_error?: boolean };
      expect(result.is_error).toBe(false);
      expect(result.result).toContain("pong from the Bedrock emulator");

      const calls = stack.accessLog().slice(logged);
      expect(calls.some((c) => c.method === "POST" && c.path === "/v1/messages")).toBe(true);
      expect(calls.filter((c) => (c.status ?? 0) >= 300)).toEqual([]);

      const invokes = (await stack.requests()).filter((r) => r.operation.startsWith("invoke"));
      expect(invokes.length).toBeGreaterThan(0);
      for (const request of invokes) {
        expect(request.body.model).toBeUndefined();
        expect(request.body.stream).toBeUndefined();
        expect(request.body.anthropic_version).toBe("bedrock-2023-05-31");
      }
      // Both versions send a `role: "system"` message after the user's: it reaches Bedrock inside the user turn.
      const conversation = invokes.find((r) => JSON.stringify(r.body.messages).includes("say ping"));
      expect(JSON.stringify(conversation?.body.messages)).toContain("<system>\\n");
    }, 120_000);

    test("a tool round trip: Claude Code runs the Bash tool and sends its result back", async () => {
      await stack.reset();
      await stack.script(
        { content: [{ toolUse: { name: "Bash", input: { command: "echo proxied-tool-output", description: "Print a marker" } } }] },
        { match: { lastUserText: "proxied-tool-output" }, content: [{ text: "The command printed proxied-tool-output." }] },
      );
      const logged = stack.accessLog().length;
      const run = await claude("run echo for me", ["--allowedTools", "Bash(echo:*)"]);
      if (run.exitCode !== 0) console.error(run.stderr, run.stdout);
      expect(run.exitCode).toBe(0);
      expect((JSON.parse(run.stdout) as { result?: string }).result).toContain("printed proxied-tool-output");
      expect(stack.accessLog().slice(logged).filter((c) => (c.status ?? 0) >= 300)).toEqual([]);
    }, 120_000);

    test("the same print-mode request served by a Converse model", async () => {
      await stack.reset();
      await stack.script({ content: [{ text: "pong from Qwen over Converse" }] });
      const logged = stack.accessLog().length;
      const run = await claude("say ping", ["--model", "coder"]);
      if (run.exitCode !== 0) console.error(run.stderr, run.stdout);
      expect(run.exitCode).toBe(0);
      expect((JSON.parse(run.stdout) as { result?: string }).result).toContain("pong from Qwen over Converse");
      const converse = (await stack.requests()).filter((r) => r.operation.startsWith("converse"));
      expect(converse.length).toBeGreaterThan(0);
      expect(converse.every((r) => r.modelId === "qwen.qwen3-coder-480b-a35b-v1:0")).toBe(true);
      expect(JSON.stringify(converse.find((r) => JSON.stringify(r.body.messages).includes("say ping"))?.body.messages)).toContain("<system>\\n");
      expect(stack.accessLog().slice(logged).filter((c) => (c.status ?? 0) >= 300)).toEqual([]);
    }, 120_000);
  });
}
