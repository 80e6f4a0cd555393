import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { startEmulatorProcess } from "../support/emulator-process.ts";
import { startProxyProcess } from "../support/proxy-process.ts";
import { openConnection, statuses } from "../support/raw-http.ts";
import type { ServiceProcess } from "../support/service-process.ts";

/**
 * File descriptors are the proxy's to keep: connections that go silent, or stall their body, are
 * closed after HTTP_IDLE_TIMEOUT_S (1 s here; Bun checks every ~4 s), while requests that wait on a
 * slow model, and streams, are never cut; past MAX_CONNECTIONS a request is refused at once and idle
 * connections are shed. The proxy runs as its own process, as in production.
 */

type Running = ServiceProcess & { url: string };
let emulator: Awaited<ReturnType<typeof startEmulatorProcess>>;
let proxy: Running;
let capped: Running;
const maxConnections = 3;

/** Longest the test waits for the server to close a connection: the timeout, Bun's timer ticks, a loaded machine. */
const closeWithinMs = 15_000;

beforeAll(async () => {
  emulator = await startEmulatorProcess();
  const env = { BEDROCK_ENDPOINT: emulator.url, AWS_BEARER_TOKEN_BEDROCK: "x", SQLITE_PATH: ":memory:", AUTH_MODE: "open" };
  [proxy, capped] = await Promise.all([
    startProxyProcess({ ...env, HTTP_IDLE_TIMEOUT_S: "1" }),
    startProxyProcess({ ...env, HTTP_IDLE_TIMEOUT_S: "60", MAX_CONNECTIONS: String(maxConnections) }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([proxy.stop(), capped.stop()]);
  await emulator.stop();
});

const script = async (...responses: Record<string, unknown>[]) => {
  const response = await emulator.control("script", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ responses }) });
  expect(response.ok).toBe(true);
};
const ask = (url: string, text: string, stream = false) =>
  fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 50, stream, messages: [{ role: "user", content: text }] }),
  });

/** Resolves with when the server closed the connection, or "open" if it still had not after `closeWithinMs`. */
const closedOrOpen = (closed: Promise<number>) => Promise.race([closed, Bun.sleep(closeWithinMs).then(() => "open" as const)]);

describe("with HTTP_IDLE_TIMEOUT_S=1", () => {
  test("a keep-alive connection left idle after GET /health is closed", async () => {
    const connection = openConnection(proxy.url);
    await connection.opened;
    connection.socket.write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
    expect(await closedOrOpen(connection.closed)).toBeLessThan(closeWithinMs);
    expect(statuses(connection.received())).toEqual([200]);
  }, 30_000);

  test("an upload whose body stalls is closed", async () => {
    const connection = openConnection(proxy.url);
    await connection.opened;
    connection.socket.write("POST /v1/messages HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"model\":");
    expect(await closedOrOpen(connection.closed)).toBeLessThan(closeWithinMs);
  }, 30_000);

  test("a non-streaming request that waits 6 s on the model, and a stream whose chunks come 2.5 s apart, both complete", async () => {
    await script(
      { match: { lastUserText: "slow answer" }, content: [{ text: "worth the wait" }], firstByteDelayMs: 6_000 },
      { match: { lastUserText: "slow stream" }, content: [{ text: "one two three" }], chunkChars: 5, chunkDelayMs: 2_500 },
    );
    const [answer, stream] = await Promise.all([ask(proxy.url, "slow answer"), ask(proxy.url, "slow stream", true)]);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { content: { text: string }[] }).content[0]?.text).toBe("worth the wait");
    expect(stream.status).toBe(200);
    const events = await stream.text();
    expect(events).toContain("event: message_stop");
    expect(events).not.toContain("event: error");
  }, 30_000);
});

describe(`with MAX_CONNECTIONS=${maxConnections}`, () => {
  test("a request past the cap is refused at once with 529 overloaded_error and connection: close; those in flight complete", async () => {
    await script(...Array.from({ length: maxConnections }, () => ({ match: { lastUserText: "held" }, content: [{ text: "held" }], firstByteDelayMs: 3_000 })));
    const held = Array.from({ length: maxConnections }, () => ask(capped.url, "held"));
    await Bun.sleep(1_000);
    const started = performance.now();
    const refused = await ask(capped.url, "one too many");
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(refused.status).toBe(529);
    expect(refused.headers.get("connection")).toBe("close");
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe("overloaded_error");
    expect((await fetch(`${capped.url}/health`)).status).toBe(200);
    expect((await Promise.all(held)).map((response) => response.status)).toEqual(Array(maxConnections).fill(200));
  }, 30_000);

  test("connections that ask once and go silent are shed past the cap, long before their idle timeout", async () => {
    const connections = [];
    for (let i = 0; i < 4 * maxConnections; i++) {
      const connection = openConnection(capped.url);
      await connection.opened;
      connection.socket.write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
      while (statuses(connection.received()).length === 0) await Bun.sleep(5);
      connections.push(connection);
    }
    await Bun.sleep(500);
    const stillOpen = connections.filter((connection) => !connection.socket.closed && !connection.socket.destroyed).length;
    for (const connection of connections) connection.socket.destroy();
    expect(stillOpen).toBeLessThanOrEqual(maxConnections);
  }, 30_000);
});

describe("file descriptors", () => {
  test("the proxy raises its soft RLIMIT_NOFILE to the hard limit", async () => {
    const hard = openFilesLimit("self").hard;
    const limited = await startProxyProcess({ SQLITE_PATH: ":memory:", AUTH_MODE: "open", AWS_BEARER_TOKEN_BEDROCK: "x", BEDROCK_ENDPOINT: emulator.url }, { launcher: ["prlimit", `--nofile=1024:${hard}`] });
    try {
      expect(openFilesLimit(String(limited.pid))).toEqual({ soft: Math.min(hard, 1 << 20), hard });
    } finally {
      await limited.stop();
    }
  }, 30_000);
});

function openFilesLimit(pid: string): { soft: number; hard: number } {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8").split("\n").find((l) => l.startsWith("Max open files")) ?? "";
  const [soft, hard] = line.replace("Max open files", "").trim().split(/\s+/).map(Number);
  return { soft: soft ?? 0, hard: hard ?? 0 };
}
