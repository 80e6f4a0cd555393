import { ConfigError, loadConfig } from "./config.ts";
import { createLogger } from "../lib/log.ts";
import { startServer, stopOnSignals } from "./server.ts";
import { applyRuntimeSettings } from "./runtime-settings.ts";

try {
  const config = loadConfig(process.env);
  const log = createLogger(config.LOG_LEVEL);
  applyRuntimeSettings(config, process.env, log);
  stopOnSignals(await startServer(config, log), log);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
