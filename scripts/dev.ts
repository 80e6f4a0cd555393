import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { ConfigError, loadConfig } from "../src/config.ts";
import { startEmulator } from "../emulator/server.ts";
import { createLogger } from "../lib/log.ts";
import { startServer, stopOnSignals } from "../src/server.ts";
import { startDevSandbox } from "./dev-sandbox.ts";

/**
 * `bun run dev`: the proxy in watch mode. On a machine with no AWS configuration at all it serves
 * from the built-in Bedrock emulator, and (unless AUTH_MODE says otherwise) without keys, so a
 * fresh checkout answers requests at once. Unless SANDBOX_URL names one, it runs a sandbox service
 * itself (scripts/dev-sandbox.ts), so programmatic tool calling works too. Unless MASTER_API_KEY is set,
 * it makes one once and keeps it beside the SQLite file, so the portal's sign-in form opens.
 */

const awsVariables = ["BEDROCK_ENDPOINT", "AWS_BEARER_TOKEN_BEDROCK", "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"];

/** The master key `bun run dev` signs the portal in with: made once, kept (owner-only) beside the SQLite file. */
function devMasterKey(env: Record<string, string | undefined>): { key: string; path: string } {
  const path = join(dirname(env.SQLITE_PATH ?? "./data/proxy.db"), "dev-master-key");
  if (existsSync(path)) return { key: readFileSync(path, "utf8").trim(), path };
  mkdirSync(dirname(path), { recursive: true });
  const key = `dev-${randomBytes(24).toString("base64url")}`;
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  return { key, path };
}

function hasAwsConfiguration(env: Record<string, string | undefined>): boolean {
  return awsVariables.some((name) => env[name]) || ["credentials", "config"].some((file) => existsSync(join(homedir(), ".aws", file)));
}

try {
  let env: Record<string, string | undefined> = process.env;
  const emulated = !hasAwsConfiguration(env);
  if (emulated) {
    const emulator = await startEmulator({ port: 0 });
    env = { AUTH_MODE: "open", ...env, BEDROCK_ENDPOINT: emulator.url, AWS_BEARER_TOKEN_BEDROCK: "emulator" };
  }
  // Without SANDBOX_URL the sandbox is ours, with our token: a SANDBOX_TOKEN kept for `bun run sandbox` is not the proxy's.
  if (!env.SANDBOX_URL) env = { ...env, SANDBOX_TOKEN: undefined };
  const masterKey = env.MASTER_API_KEY ? undefined : devMasterKey(env);
  if (masterKey) env = { ...env, MASTER_API_KEY: masterKey.key };
  const log = createLogger(loadConfig(env).LOG_LEVEL);
  const sandbox = env.SANDBOX_URL ? undefined : await startDevSandbox(env, log);
  const config = loadConfig({ ...env, ...sandbox?.proxyEnv });
  if (emulated) log.warn("no AWS configuration found: serving from the built-in Bedrock emulator", { emulator: config.BEDROCK_ENDPOINT, auth_mode: config.AUTH_MODE });
  const proxy = await startServer(config, log);
  if (masterKey) log.info("the portal's master key is in a file of its own", { portal: `${proxy.url}/admin/`, master_key_file: masterKey.path });
  stopOnSignals({ url: proxy.url, stop: () => proxy.stop().then(() => sandbox?.stop()) }, log);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
