/** Entry point of the sandbox service: `bun sandbox/src/main.ts` (or `bun run sandbox`). */
import { ConfigError } from "../../lib/environment.ts";
import { loadSandboxConfig } from "./config.ts";
import { createService, StartupError } from "./service.ts";

const log = (message: string, detail?: unknown) => {
  const line = { time: new Date().toISOString(), message, ...(detail === undefined ? {} : { detail: String(detail) }) };
  console.error(JSON.stringify(line));
};

async function main(): Promise<void> {
  const config = loadSandboxConfig(process.env);
  const service = await createService(config, { log });
  const server = Bun.serve({ port: config.SANDBOX_PORT, hostname: config.SANDBOX_HOST, fetch: service.app.fetch, idleTimeout: 0 });
  log(`sandbox service listening on http://${server.hostname}:${server.port} (runtime ${service.runtime.kind})`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    void server.stop(true);
    await service.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StartupError) console.error(error.message);
  else console.error(error);
  process.exit(1);
});
