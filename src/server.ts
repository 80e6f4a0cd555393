import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import { createProxy, type ProxyOptions } from "./proxy.ts";

export interface RunningProxy {
  url: string;
  stop(): Promise<void>;
}

/** Serves the proxy on Bun; `stop` lets in-flight requests finish, writes buffered usage, then releases every connection. */
export async function startServer(config: Config, log: Logger, options: ProxyOptions = {}): Promise<RunningProxy> {
  const proxy = await createProxy(config, log, options);
  const server = Bun.serve({
    port: config.PORT,
    hostname: config.HOST,
    fetch: proxy.app.fetch,
    // Non-streaming answers can take minutes of silence; Bun's default would cut them at 10 s.
    idleTimeout: 0,
  });
  log.info("proxy listening", { url: server.url.href });
  return {
    url: server.url.href.replace(/\/$/, ""),
    async stop() {
      await server.stop();
      await proxy.close();
    },
  };
}

/** For the entry points: stop gracefully on SIGTERM and SIGINT. */
export function stopOnSignals(running: RunningProxy, log: Logger): void {
  const stop = async () => {
    log.info("shutting down");
    await running.stop();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
