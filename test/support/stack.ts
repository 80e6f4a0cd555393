import Anthropic from "@anthropic-ai/sdk";
import { loadConfig } from "../../src/config.ts";
import { startEmulator } from "../../emulator/server.ts";
import { createLogger } from "../../lib/log.ts";
import type { ProxyOptions } from "../../src/proxy.ts";
import { startServer } from "../../src/server.ts";
import { testAwsCredentials } from "./aws-credentials.ts";
import { temporarySpoolPath } from "./proxy-process.ts";

/** A scripted turn for the emulator, as its control API takes it. */
export type EmulatorTurn = Record<string, unknown>;

export interface RecordedRequest {
  operation: string;
  modelId: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/**
 * The emulator and the proxy on free loopback ports, and the official SDK pointed at the proxy.
 * The SDK's own retries are off unless a test turns them on, so each call reaches the proxy once.
 * The proxy's log is kept for the test to read (and echoed with TEST_LOG=1). The proxy signs with
 * SigV4 (unless `env` gives it a bearer token) and the emulator verifies every signature.
 */
export async function startStack(env: Record<string, string> = {}, options: ProxyOptions = {}) {
  const emulator = await startEmulator({ port: 0, credentials: testAwsCredentials });
  const logLines: string[] = [];
  const echo = process.env.TEST_LOG === "1";
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    BEDROCK_ENDPOINT: emulator.url,
    UPSTREAM_RETRY_BASE_MS: "5",
    SQLITE_PATH: ":memory:",
    AUTH_MODE: "open",
    USAGE_FLUSH_INTERVAL_MS: "20",
    USAGE_SPOOL_PATH: temporarySpoolPath(),
    ...env,
  });
  const proxy = await startServer(
    config,
    createLogger(config.LOG_LEVEL, {}, (line) => {
      logLines.push(line);
      if (echo) process.stderr.write(line);
    }),
    { awsCredentials: async () => testAwsCredentials, ...options },
  );
  return {
    emulatorUrl: emulator.url,
    /** The proxy's access log: one entry per request it answered. */
    accessLog: () => logLines.map((line) => JSON.parse(line) as { message: string; method?: string; path?: string; status?: number }).filter((entry) => entry.message === "request"),
    /** Every line the proxy logged, parsed. */
    logEntries: () => logLines.map((line) => JSON.parse(line) as { level: string; message: string } & Record<string, unknown>),
    proxyUrl: proxy.url,
    /** The SDK with `apiKey`, or with no key at all (what open mode lets through). */
    client: (options: { maxRetries?: number; apiKey?: string } = {}) => sdkClient(proxy.url, options),
    ...emulatorControl(emulator.url),
    async stop() {
      await proxy.stop();
      await emulator.stop();
    },
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/** The emulator's test-facing API (`/_emulator/`): queue scripted turns, read the request log, reset both. */
export function emulatorControl(emulatorUrl: string) {
  const control = (path: string, init?: RequestInit) => fetch(`${emulatorUrl}/_emulator/${path}`, init);
  return {
    async script(...responses: EmulatorTurn[]) {
      const response = await control("script", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ responses }) });
      if (!response.ok) throw new Error(`emulator refused the script: ${await response.text()}`);
    },
    async requests(): Promise<RecordedRequest[]> {
      return (await (await control("requests")).json()) as RecordedRequest[];
    },
    async reset() {
      await control("reset", { method: "POST" });
    },
  };
}

/**
 * The official SDK pointed at `baseURL`, its own retries off unless asked for. Without `apiKey` it
 * sends no credential (nor one from the environment): in open mode only a missing key passes.
 */
export function sdkClient(baseURL: string, options: { maxRetries?: number; apiKey?: string } = {}): Anthropic {
  const maxRetries = options.maxRetries ?? 0;
  if (options.apiKey !== undefined) return new Anthropic({ baseURL, apiKey: options.apiKey, maxRetries });
  return new Anthropic({ baseURL, apiKey: null, authToken: null, defaultHeaders: { authorization: null }, maxRetries });
}
