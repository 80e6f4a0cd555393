/** The sandbox service as a real process (`bun sandbox/src/main.ts`), with the environment a test gives it. */
import { expect } from "bun:test";
import type { Subprocess } from "bun";
import { resolve } from "node:path";
import { type RuntimeKind, TEST_IMAGE } from "../runtime/runtimes.ts";

export const MAIN = resolve(import.meta.dir, "../../../sandbox/src/main.ts");
export const TOKEN = "main-test-token";
const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

export interface RealService {
  proc: Subprocess<"ignore", "ignore", "pipe">;
  base: string;
}

/**
 * bwrap takes `scope` as its uid base (SANDBOX_UID_BASE), a range of the test's own: a starting service kills every
 * process of its range, and the default one (100000+) is what a developer's `bun run dev` uses. Docker takes the
 * label `scope`. `env` adds to (or overrides) the rest.
 */
export async function startService(kind: RuntimeKind, scope: string, env: Record<string, string> = {}): Promise<RealService> {
  const fullEnv = {
    ...process.env,
    SANDBOX_TOKEN: TOKEN,
    SANDBOX_PORT: "0",
    SANDBOX_POOL_SIZE: "1",
    SANDBOX_RUNTIME: kind,
    SANDBOX_IMAGE: TEST_IMAGE,
    SANDBOX_SCOPE: kind === "docker" ? scope : "sandbox-service",
    ...(kind === "bwrap" ? { SANDBOX_UID_BASE: scope } : {}),
    ...env,
  };
  const proc = Bun.spawn(["bun", MAIN], { env: fullEnv, stdin: "ignore", stderr: "pipe", stdout: "ignore" });
  const reader = proc.stderr.getReader();
  let seen = "";
  let match: RegExpExecArray | null = null;
  while (!(match = /listening on (http:\/\/[^ ]+)/.exec(seen))) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`service ended: ${seen}`);
    seen += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return { proc, base: match[1] ?? "" };
}

export async function runInNewSession(base: string, code: string, token = TOKEN): Promise<{ status?: string; stdout?: string; stderr?: string }> {
  const auth = { ...headers, authorization: `Bearer ${token}` };
  const created = await fetch(`${base}/v1/sessions`, { method: "POST", headers: auth, body: JSON.stringify({ owner: "o" }) });
  expect(created.status).toBe(201);
  const { session_id } = (await created.json()) as { session_id: string };
  const run = await fetch(`${base}/v1/sessions/${session_id}/executions`, { method: "POST", headers: auth, body: JSON.stringify({ owner: "o", code }) });
  return run.json();
}
