import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { startEmulatorProcess } from "../support/emulator-process.ts";
import { startProxyProcess } from "../support/proxy-process.ts";
import { jsonPost, openConnection } from "../support/raw-http.ts";
import type { ServiceProcess } from "../support/service-process.ts";

/**
 * Settings Bun reads only at process start (src/runtime-settings.ts). Its fetch runs at most 256
 * requests at once unless told otherwise: the proxy must size its upstream pool from
 * UPSTREAM_MAX_CONNECTIONS (default 2048). Its allocator keeps freed memory for reuse unless
 * MIMALLOC_PURGE_DELAY says otherwise (docs/performance.md#allocator). The emulator and the proxy are
 * processes of their own; the streams are raw sockets, since this test's own fetch is capped the
 * same way.
 */

const streams = 1_000;
let emulator: Awaited<ReturnType<typeof startEmulatorProcess>>;
let proxy: ServiceProcess & { url: string };

beforeAll(async () => {
  emulator = await startEmulatorProcess();
  proxy = await startProxyProcess({ BEDROCK_ENDPOINT: emulator.url, AWS_BEARER_TOKEN_BEDROCK: "x", SQLITE_PATH: ":memory:", AUTH_MODE: "open" });
}, 60_000);
afterAll(async () => {
  await proxy.stop();
  await emulator.stop();
});

async function requestsReachingEmulator(): Promise<number> {
  return ((await (await emulator.control("requests")).json()) as unknown[]).length;
}

test(`${streams} concurrent slow streams all reach Bedrock`, async () => {
  // Each answer starts only after a long silence, so every stream is in flight at once.
  const slow = Array.from({ length: streams }, () => ({ content: [{ text: "eventually" }], firstByteDelayMs: 60_000 }));
  expect((await emulator.control("script", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ responses: slow }) })).ok).toBe(true);
  const body = JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 20, stream: true, messages: [{ role: "user", content: "hello" }] });
  const request = jsonPost("/v1/messages", body);
  const connections = Array.from({ length: streams }, () => openConnection(proxy.url));
  try {
    await Promise.all(connections.map(async ({ socket, opened }) => opened.then(() => socket.write(request))));
    let reached = 0;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && reached < streams; await Bun.sleep(250)) reached = await requestsReachingEmulator();
    expect(reached).toBe(streams);
  } finally {
    for (const { socket } of connections) socket.destroy();
  }
}, 60_000);

/** The environment the process with this pid runs with: after an execve, /proc shows the new one. */
function environmentOf(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
  return Object.fromEntries(entries.map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
}

test("the proxy runs, under its own pid, with the fetch cap and the allocator setting its configuration asks for", () => {
  expect(environmentOf(proxy.pid)).toMatchObject({ BUN_CONFIG_MAX_HTTP_REQUESTS: "2048", MIMALLOC_PURGE_DELAY: "-1" });
});

test("an allocator setting the operator gives is the one the proxy runs with", async () => {
  const tuned = await startProxyProcess({ BEDROCK_ENDPOINT: emulator.url, AWS_BEARER_TOKEN_BEDROCK: "x", SQLITE_PATH: ":memory:", AUTH_MODE: "open", MIMALLOC_PURGE_DELAY: "250" });
  try {
    expect(environmentOf(tuned.pid)).toMatchObject({ BUN_CONFIG_MAX_HTTP_REQUESTS: "2048", MIMALLOC_PURGE_DELAY: "250" });
  } finally {
    await tuned.stop();
  }
}, 30_000);
