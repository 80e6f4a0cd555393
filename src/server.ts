import type { Server } from "bun";
import type { Config } from "./config.ts";
import { ConnectionGate } from "./http/connection-gate.ts";
import type { RequestConnection } from "./http/env.ts";
import { metricsApp } from "./http/metrics.ts";
import { segmentPatterns, segmentsOf } from "./http/request-target.ts";
import type { Logger } from "../lib/log.ts";
import { checkOpenFilesLimit } from "./open-files.ts";
import type { Metrics } from "./observability/metrics.ts";
import { createProxy, type ProxyOptions } from "./proxy.ts";

export interface RunningProxy {
  url: string;
  stop(): Promise<void>;
}

/** Bun closes idle connections on a timer that ticks every few seconds: a connection may live this much past its idle timeout. */
const idleTimerTickMs = 4_000;

/**
 * Serves the proxy on Bun; `stop` lets in-flight requests finish, writes buffered usage, then releases every connection.
 * A connection with no request in flight is closed after HTTP_IDLE_TIMEOUT_S; requests that wait on the
 * model switch that off for themselves (see RequestConnection).
 */
export async function startServer(config: Config, log: Logger, options: ProxyOptions = {}): Promise<RunningProxy> {
  checkOpenFilesLimit(config, log);
  const proxy = await createProxy(config, log, options);
  const gate = new ConnectionGate(config.MAX_CONNECTIONS, config.HTTP_IDLE_TIMEOUT_S * 1_000 + idleTimerTickMs);
  const serve = (request: Request, server: Server<undefined>, rawSegments: readonly string[] | undefined) => {
    const connection: RequestConnection = {
      rawSegments,
      overloaded: !gate.admit(server, request),
      awaitModel: () => server.timeout(request, 0),
      answered: () => server.timeout(request, config.HTTP_IDLE_TIMEOUT_S),
    };
    return proxy.app.fetch(request, { connection });
  };
  // Every target is split by Bun's router into its raw segments (see src/http/request-target.ts).
  const routes = Object.fromEntries(
    segmentPatterns.map((pattern) => [pattern, (request: Bun.BunRequest, server: Server<undefined>) => serve(request, server, segmentsOf(request.params))]),
  );
  const server = Bun.serve({
    port: config.PORT,
    hostname: config.HOST,
    idleTimeout: config.HTTP_IDLE_TIMEOUT_S,
    routes,
    fetch: (request, server) => serve(request, server, undefined),
  });
  log.info("proxy listening", { url: server.url.href });
  const metricsServer = startMetricsServer(config, proxy.metrics, log);
  return {
    url: server.url.href.replace(/\/$/, ""),
    async stop() {
      await metricsServer?.stop();
      await server.stop();
      await proxy.close();
    },
  };
}

/** METRICS_PORT: GET /metrics on a listener of its own, so the scraper need not reach the API's port. */
function startMetricsServer(config: Config, metrics: Metrics | undefined, log: Logger) {
  if (!metrics || config.METRICS_PORT === undefined) return undefined;
  const app = metricsApp(metrics, config.METRICS_TOKEN);
  const server = Bun.serve({ port: config.METRICS_PORT, hostname: config.HOST, fetch: (request) => app.fetch(request) });
  log.info("metrics listening", { url: `${server.url.href}metrics` });
  return server;
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
