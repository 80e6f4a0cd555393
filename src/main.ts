import { ConfigError, loadConfig } from "./config.ts";
import { createLogger } from "../lib/log.ts";
import { startServer, stopOnSignals } from "./server.ts";
import { sizeUpstreamPool } from "./upstream-pool.ts";

try {
  const config = loadConfig(process.env);
  const log = createLogger(config.LOG_LEVEL);
  sizeUpstreamPool(config, process.env, log);
  stopOnSignals(await startServer(config, log), log);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
