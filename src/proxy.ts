import { createApp } from "./app.ts";
import { createBedrockClients } from "./bedrock/client.ts";
import { createModelCatalog } from "./bedrock/catalog.ts";
import { createConverseUpstream } from "./bedrock/converse/upstream.ts";
import { createImageFetcher } from "./bedrock/images/fetch-image.ts";
import { createImageLoader } from "./bedrock/images/request-images.ts";
import { type HostResolver, resolveWithSystem } from "./bedrock/images/resolve-host.ts";
import { createInvokeUpstream } from "./bedrock/invoke/upstream.ts";
import { createModelResolver, familyDefaults } from "./bedrock/models.ts";
import { UpstreamCall } from "./bedrock/upstream.ts";
import type { Config } from "./config.ts";
import { Gateway } from "./gateway/gateway.ts";
import { KeyCache } from "./gateway/keys/key-cache.ts";
import { KeyService } from "./gateway/keys/service.ts";
import { PriceBook } from "./gateway/pricing/price-book.ts";
import { createRateLimiter } from "./gateway/rate-limit/create.ts";
import { BatchWriter } from "./gateway/usage/batch-writer.ts";
import type { ProxyDeps } from "./http/deps.ts";
import type { Logger } from "./log.ts";
import { createStore } from "./store/create-store.ts";
import { storeOptionsFrom } from "./store/options.ts";
import { pricingSeed } from "./store/pricing-seed.ts";
import type { Store, UsageRecordInput } from "./store/types.ts";

export interface ProxyOptions {
  /** The gateway's clock (budget months, usage times); tests inject one. */
  now?: () => Date;
  /** How image URL hosts are resolved; tests inject one so no name is ever asked of a real DNS server. */
  resolveHost?: HostResolver;
}

/** How often this replica re-reads the aliases operators keep in the store. */
const aliasRefreshMs = 5_000;

/** The composition root: every part built once from the configuration and wired together. */
export async function createProxy(config: Config, log: Logger, options: ProxyOptions = {}) {
  const now = options.now ?? (() => new Date());
  const clients = createBedrockClients(config);
  const store = await createStore(storeOptionsFrom(config));
  await store.seedPricing(pricingSeed);
  const models = createModelResolver(config.MODEL_MAP, familyDefaults(config));
  const loadAliases = async () => models.setStoredAliases(Object.fromEntries((await store.listAliases()).map((a) => [a.alias, a.model_id])));
  await loadAliases();
  const aliasTimer = setInterval(() => loadAliases().catch((error: unknown) => log.warn("could not refresh model aliases", { error })), aliasRefreshMs);
  const limiter = createRateLimiter({ redisUrl: config.REDIS_URL, logger: log });
  const usage = new BatchWriter<UsageRecordInput>((batch) => store.writeUsage(batch).then(() => undefined), {
    maxBatch: config.USAGE_BATCH_SIZE,
    flushIntervalMs: config.USAGE_FLUSH_INTERVAL_MS,
    retryDelayMs: 200,
    maxRetryDelayMs: 10_000,
    log,
  });
  const prices = new PriceBook(store, log);
  const keyCache = new KeyCache(store, config.KEY_CACHE_TTL_MS);
  const gateway = new Gateway({ store, keys: keyCache, limiter, usage, prices, masterKey: config.MASTER_API_KEY, authMode: config.AUTH_MODE, now, log });
  const fetchImage =
    config.IMAGE_FETCH === "on"
      ? createImageFetcher({ timeoutMs: config.IMAGE_FETCH_TIMEOUT_MS, allowHosts: config.IMAGE_FETCH_ALLOW_HOSTS, resolve: options.resolveHost ?? resolveWithSystem, log })
      : undefined;
  const loadImages = createImageLoader({ fetchImage, maxFetchBytes: config.IMAGE_FETCH_MAX_BYTES, maxRequestBytes: config.MAX_REQUEST_BYTES });
  const timeouts = { firstByteMs: config.UPSTREAM_FIRST_BYTE_TIMEOUT_MS, totalMs: config.UPSTREAM_TOTAL_TIMEOUT_MS };
  const retry = { maxRetries: config.UPSTREAM_MAX_RETRIES, baseDelayMs: config.UPSTREAM_RETRY_BASE_MS };
  const deps: ProxyDeps = {
    log,
    models,
    catalog: createModelCatalog(models, config.LIST_BEDROCK_MODELS ? { client: clients.control, log } : undefined),
    upstreams: {
      invoke: createInvokeUpstream(clients.runtime, loadImages),
      converse: createConverseUpstream(clients.runtime, loadImages),
    },
    newCall: (signal, context) => new UpstreamCall(signal, timeouts, retry, context),
    gateway,
    store,
    keys: new KeyService(store, () => keyCache.forget()),
    onAliasesChanged: () => void loadAliases().catch((error: unknown) => log.warn("could not reload model aliases", { error })),
    onPricesChanged: () => void prices.reload().catch((error: unknown) => log.warn("could not reload prices", { error })),
    pingIntervalMs: config.STREAM_PING_INTERVAL_MS,
    masterKey: config.MASTER_API_KEY,
    maxRequestBytes: config.MAX_REQUEST_BYTES,
    readiness: readinessChecks(config, clients, store),
  };
  return {
    app: createApp(deps),
    store,
    /** Writes the usage still buffered, then releases every connection. */
    async close() {
      clearInterval(aliasTimer);
      await usage.close();
      await limiter.close();
      await store.close();
      clients.runtime.destroy();
      clients.control.destroy();
    },
  };
}

function readinessChecks(config: Config, clients: ReturnType<typeof createBedrockClients>, store: Store): ProxyDeps["readiness"] {
  return {
    store: () => store.ready(),
    bedrock_credentials: async () => {
      if (config.AWS_BEARER_TOKEN_BEDROCK) return;
      await clients.runtime.config.credentials();
    },
    bedrock_endpoint: () => reachable(config.BEDROCK_ENDPOINT ?? `https://bedrock-runtime.${config.AWS_REGION}.amazonaws.com`),
  };
}

/** Any HTTP answer means the endpoint is reachable; only a network failure does not. */
async function reachable(url: string): Promise<void> {
  await fetch(url, { method: "GET", signal: AbortSignal.timeout(3_000) });
}
