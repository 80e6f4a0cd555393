import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../src/config.ts";
import { startEmulator } from "../emulator/server.ts";
import { createLogger } from "../lib/log.ts";
import { startServer, stopOnSignals } from "../src/server.ts";
import { startDevSandbox } from "./dev-sandbox.ts";

/**
 * `bun run dev`: the proxy in watch mode. On a machine with no AWS configuration at all it serves
 * from the built-in Bedrock emulator, and (unless AUTH_MODE says otherwise) without keys, so a
 * fresh checkout answers requests at once. Unless SANDBOX_URL names one, it runs a sandbox service
 * itself (scripts/dev-sandbox.ts), so programmatic tool calling works too.
 */

const awsVariables = ["BEDROCK_ENDPOINT", "AWS_BEARER_TOKEN_BEDROCK", "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"];

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
  const log = createLogger(loadConfig(env).LOG_LEVEL);
  const sandbox = env.SANDBOX_URL ? undefined : await startDevSandbox(env, log);
  const config = loadConfig({ ...env, ...sandbox?.proxyEnv });
  if (emulated) log.warn("no AWS configuration found: serving from the built-in Bedrock emulator", { emulator: config.BEDROCK_ENDPOINT, auth_mode: config.AUTH_MODE });
  const proxy = await startServer(config, log);
  stopOnSignals({ url: proxy.url, stop: () => proxy.stop().then(() => sandbox?.stop()) }, log);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
