import { createApp } from "./app.ts";
import { createBedrockClients } from "./bedrock/client.ts";
import { createModelCatalog } from "./bedrock/catalog.ts";
import { createConverseUpstream } from "./bedrock/converse/upstream.ts";
import { createImageFetcher } from "./bedrock/fetch-image.ts";
import { createInvokeUpstream } from "./bedrock/invoke/upstream.ts";
import { createModelResolver, familyDefaults } from "./bedrock/models.ts";
import { UpstreamCall } from "./bedrock/upstream.ts";
import type { Config } from "./config.ts";
import type { ProxyDeps } from "./http/deps.ts";
import type { Logger } from "./log.ts";

/** The composition root: every part built once from the configuration and wired together. */
export function createProxy(config: Config, log: Logger) {
  const clients = createBedrockClients(config);
  const models = createModelResolver(config.MODEL_MAP, familyDefaults(config));
  const fetchImage = createImageFetcher({ timeoutMs: config.IMAGE_FETCH_TIMEOUT_MS, maxBytes: config.IMAGE_FETCH_MAX_BYTES });
  const timeouts = { firstByteMs: config.UPSTREAM_FIRST_BYTE_TIMEOUT_MS, totalMs: config.UPSTREAM_TOTAL_TIMEOUT_MS };
  const retry = { maxRetries: config.UPSTREAM_MAX_RETRIES, baseDelayMs: config.UPSTREAM_RETRY_BASE_MS };
  const deps: ProxyDeps = {
    log,
    models,
    catalog: createModelCatalog(models, config.LIST_BEDROCK_MODELS ? { client: clients.control, log } : undefined),
    upstreams: {
      invoke: createInvokeUpstream(clients.runtime, fetchImage),
      converse: createConverseUpstream(clients.runtime, fetchImage),
    },
    newCall: (signal, context) => new UpstreamCall(signal, timeouts, retry, context),
    pingIntervalMs: config.STREAM_PING_INTERVAL_MS,
    masterKey: config.MASTER_API_KEY,
    maxRequestBytes: config.MAX_REQUEST_BYTES,
    readiness: {
      bedrock_credentials: async () => {
        if (config.AWS_BEARER_TOKEN_BEDROCK) return;
        await clients.runtime.config.credentials();
      },
      bedrock_endpoint: () => reachable(config.BEDROCK_ENDPOINT ?? `https://bedrock-runtime.${config.AWS_REGION}.amazonaws.com`),
    },
  };
  return {
    app: createApp(deps),
    close() {
      clients.runtime.destroy();
      clients.control.destroy();
    },
  };
}

/** Any HTTP answer means the endpoint is reachable; only a network failure does not. */
async function reachable(url: string): Promise<void> {
  await fetch(url, { method: "GET", signal: AbortSignal.timeout(3_000) });
}
