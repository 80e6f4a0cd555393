import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../src/config.ts";
import { startEmulator } from "../emulator/server.ts";
import { createLogger } from "../lib/log.ts";
import { startServer, stopOnSignals } from "../src/server.ts";

/**
 * `bun run dev`: the proxy in watch mode. On a machine with no AWS configuration at all it serves
 * from the built-in Bedrock emulator, and (unless AUTH_MODE says otherwise) without keys, so a
 * fresh checkout answers requests at once.
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
  const config = loadConfig(env);
  const log = createLogger(config.LOG_LEVEL);
  if (emulated) log.warn("no AWS configuration found: serving from the built-in Bedrock emulator", { emulator: config.BEDROCK_ENDPOINT, auth_mode: config.AUTH_MODE });
  stopOnSignals(await startServer(config, log), log);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
