import type { AwsCredentialIdentityProvider } from "@smithy/types";
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
import { Budgets } from "./gateway/budget/budgets.ts";
import { Gateway } from "./gateway/gateway.ts";
import { KeyCache } from "./gateway/keys/key-cache.ts";
import { KeyService } from "./gateway/keys/service.ts";
import { PriceBook } from "./gateway/pricing/price-book.ts";
import { createRateLimiter } from "./gateway/rate-limit/create.ts";
import { StoreOutage } from "./gateway/store-outage.ts";
import { BatchWriter } from "./gateway/usage/batch-writer.ts";
import { Spool } from "./gateway/usage/spool.ts";
import type { ProxyDeps, ReadinessChecks } from "./http/deps.ts";
import { Metrics } from "./observability/metrics.ts";
import { countRejections } from "./observability/count-rejections.ts";
import { Dispatch } from "./ptc/dispatch.ts";
import { observedSandbox } from "./ptc/observed-sandbox.ts";
import { createPtcServices } from "./ptc/services.ts";
import { createAdminAuth } from "./portal/auth/create-admin-auth.ts";
import { startProxyTracing, traceCalls } from "./observability/tracing.ts";
import { detachedFromRequest } from "../lib/tracing.ts";
import type { Logger } from "../lib/log.ts";
import { createStore } from "./store/create-store.ts";
import { storeOptionsFrom } from "./store/options.ts";
import { pricingSeed } from "./store/pricing-seed.ts";
import type { Store } from "./gateway/store.ts";
import { type UsageRecordInput, usageRecordSchema } from "./gateway/usage/usage-record.ts";

export interface ProxyOptions {
  /** The gateway's clock (budget months, usage times); tests inject one. */
  now?: () => Date;
  /** How image URL hosts are resolved; tests inject one so no name is ever asked of a real DNS server. */
  resolveHost?: HostResolver;
  /** AWS credentials to sign with instead of the SDK's default chain; tests inject the ones their emulator verifies. */
  awsCredentials?: AwsCredentialIdentityProvider;
}

/** How often this replica re-reads the aliases operators keep in the store. */
const aliasRefreshMs = 5_000;

/** The composition root: every part built once from the configuration and wired together. */
export async function createProxy(config: Config, log: Logger, options: ProxyOptions = {}) {
  const now = options.now ?? (() => new Date());
  const tracing = startProxyTracing(config);
  const clients = createBedrockClients(config, options.awsCredentials);
  const metrics = config.METRICS === "on" ? new Metrics({ maxLabelValues: config.METRICS_MAX_LABEL_VALUES, usageQueueDepth: (): number => usage.pending }) : undefined;
  const opened = tracedStore(await createStore(storeOptionsFrom(config)));
  const store = metrics ? countRejections(opened, (operation) => metrics.storeError(operation)) : opened;
  await store.seedPricing(pricingSeed);
  const outage = new StoreOutage(log);
  const models = createModelResolver(config.MODEL_MAP, familyDefaults(config));
  const loadAliases = async () => models.setStoredAliases(Object.fromEntries((await outage.watch(store.listAliases())).map((a) => [a.alias, a.model_id])));
  await loadAliases();
  // While the store is out the aliases last read serve; the outage is logged once, by StoreOutage.
  const aliasTimer = setInterval(() => outage.mayCall() && loadAliases().catch(() => undefined), aliasRefreshMs);
  const onRedisError = metrics && ((connection: string) => metrics.redisError(connection));
  const limiter = createRateLimiter({ redis: redisLimiterSettings(config, onRedisError), logger: log });
  // A batch holds many requests' records: its write is traced on its own, not in the request whose timer started it.
  // A batch's first record is its oldest: records queue in the order they were made, the spool's ahead.
  const usage = new BatchWriter<UsageRecordInput>((batch) => detachedFromRequest(() => store.writeUsage(batch)).then(() => batch[0] && metrics?.usageWritten(batch[0].created_at)), {
    maxBatch: config.USAGE_BATCH_SIZE,
    flushIntervalMs: config.USAGE_FLUSH_INTERVAL_MS,
    retryDelayMs: 200,
    maxRetryDelayMs: 10_000,
    shutdownTimeoutMs: config.USAGE_SHUTDOWN_TIMEOUT_MS,
    spool: new Spool<UsageRecordInput>(config.USAGE_SPOOL_PATH, usageRecordSchema, log),
    log,
  });
  usage.replaySpool();
  const prices = new PriceBook(store, outage, log);
  const keyCache = new KeyCache(store, outage, config.KEY_CACHE_TTL_MS);
  const budgets = new Budgets({ store, outage, now, graceMs: config.STORE_OUTAGE_GRACE_S * 1_000 });
  const gateway = new Gateway({ store, keys: keyCache, limiter, usage, prices, budgets, outage, masterKey: config.MASTER_API_KEY, authMode: config.AUTH_MODE, defaults: gatewayDefaults(config), now, log, observer: metrics, refusals: metrics });
  const fetchImage =
    config.IMAGE_FETCH === "on"
      ? createImageFetcher({ timeoutMs: config.IMAGE_FETCH_TIMEOUT_MS, allowHosts: config.IMAGE_FETCH_ALLOW_HOSTS, resolve: options.resolveHost ?? resolveWithSystem, log })
      : undefined;
  const loadImages = createImageLoader({ fetchImage, maxFetchBytes: config.IMAGE_FETCH_MAX_BYTES, maxRequestBytes: config.MAX_REQUEST_BYTES });
  const timeouts = { firstByteMs: config.UPSTREAM_FIRST_BYTE_TIMEOUT_MS, totalMs: config.UPSTREAM_TOTAL_TIMEOUT_MS };
  const retry = { maxRetries: config.UPSTREAM_MAX_RETRIES, baseDelayMs: config.UPSTREAM_RETRY_BASE_MS };
  const services = createPtcServices(config, log, onRedisError);
  const ptc = services && metrics ? { ...services, sandbox: observedSandbox(services.sandbox, metrics) } : services;
  const adminAuth = createAdminAuth(config, log);
  const deps: ProxyDeps = {
    log,
    models,
    catalog: createModelCatalog(models, config.LIST_BEDROCK_MODELS ? { client: clients.control, log } : undefined),
    dispatch: new Dispatch(
      {
        invoke: createInvokeUpstream(clients.generation, clients.runtime, loadImages),
        converse: createConverseUpstream(clients.generation, clients.runtime, loadImages),
      },
      ptc && { ...ptc, maxModelCalls: config.PTC_MAX_MODEL_CALLS, maxContainersPerKey: config.PTC_MAX_CONTAINERS_PER_KEY },
    ),
    newCall: (signal, context) => new UpstreamCall(signal, timeouts, retry, { ...context, observer: metrics }),
    gateway,
    store,
    keys: new KeyService(store, () => keyCache.forget()),
    onAliasesChanged: () => void loadAliases().catch((error: unknown) => log.warn("could not reload model aliases", { error })),
    onPricesChanged: () => void prices.reload().catch((error: unknown) => log.warn("could not reload prices", { error })),
    pingIntervalMs: config.STREAM_PING_INTERVAL_MS,
    masterKey: config.MASTER_API_KEY,
    adminAuth,
    containers: ptc?.containers,
    now,
    maxRequestBytes: config.MAX_REQUEST_BYTES,
    corsOrigins: config.CORS_ORIGINS,
    readiness: { required: readinessChecks(config, clients, store), optional: ptc ? { sandbox: () => ptc.sandbox.ready() } : {} },
    metrics: metrics && { metrics, served: config.METRICS_PORT === undefined, token: config.METRICS_TOKEN },
  };
  return {
    app: createApp(deps),
    store,
    metrics,
    /** Writes the usage still buffered (spooling what the store does not take in time), then releases every connection. */
    async close() {
      clearInterval(aliasTimer);
      await usage.close();
      await limiter.close();
      await store.close();
      await ptc?.close();
      await adminAuth.close();
      clients.runtime.destroy();
      clients.control.destroy();
      await tracing?.shutdown();
    },
  };
}

/** The store's writes, each in a span of its own (the reads are the request's, timed by its spans). */
function tracedStore(store: Store): Store {
  const writes = {
    writeUsage: "store.write_usage",
    addMonthSpend: "store.add_month_spend",
    createKey: "store.create_key",
    updateKey: "store.update_key",
    rotateKeyHash: "store.rotate_key",
    touchKey: "store.touch_key",
    deleteKey: "store.delete_key",
    putPrice: "store.put_price",
    deletePrice: "store.delete_price",
    putAlias: "store.put_alias",
    deleteAlias: "store.delete_alias",
  } satisfies Partial<Record<keyof Store, string>>;
  return traceCalls(store, writes, { "db.system.name": store.kind });
}

function gatewayDefaults(config: Config) {
  return { limits: { rpm: config.DEFAULT_RPM, tpm: config.DEFAULT_TPM }, tier: config.DEFAULT_SERVICE_TIER };
}

function redisLimiterSettings(config: Config, onConnectionError: ((connection: string) => void) | undefined) {
  if (!config.REDIS_URL) return undefined;
  return { url: config.REDIS_URL, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, onRedisError: config.RATE_LIMIT_ON_REDIS_ERROR, onConnectionError };
}

function readinessChecks(config: Config, clients: ReturnType<typeof createBedrockClients>, store: Store): ReadinessChecks {
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
