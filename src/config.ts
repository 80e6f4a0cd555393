import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { parseAllowHosts } from "./bedrock/images/allow-hosts.ts";
import { ConfigError, parseEnvironment } from "../lib/environment.ts";
import { modelIdSchema as modelId } from "./bedrock/model-id.ts";
import { serviceTierSchema } from "./bedrock/service-tier.ts";

/**
 * The proxy's whole configuration, read from the environment once at start-up.
 * Nothing else in the code reads `process.env`: everything is passed down from here.
 */

const boolean = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();
const optionalUrl = z.url().optional();

/** `MODEL_MAP` is JSON or the path of a JSON file: `{ "alias": "bedrock-model-id" }`. */
const modelMap = z
  .string()
  .transform((raw, ctx) => {
    const text = raw.trim().startsWith("{") ? raw : readModelMapFile(raw, ctx);
    if (text === undefined) return z.NEVER;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "is neither a JSON object nor the path of a JSON file" });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string().min(1), modelId));

/** `IMAGE_FETCH_ALLOW_HOSTS`: addresses, CIDR blocks, host names and `*.domain` entries (see allow-hosts.ts). */
const allowHosts = z.string().transform((raw, ctx) => {
  const parsed = parseAllowHosts(raw);
  if ("hosts" in parsed) return parsed.hosts;
  ctx.addIssue({ code: "custom", message: `has an entry that is neither an address, a CIDR block, a host name nor *.domain: ${parsed.invalid}` });
  return z.NEVER;
});

/** `CORS_ORIGINS`: `*`, or origins (`scheme://host[:port]`, nothing after) separated by commas. */
const corsOrigins = z.string().transform((raw, ctx): "*" | string[] => {
  const origins = raw.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  if (origins.length === 1 && origins[0] === "*") return "*";
  const invalid = origins.find((origin) => URL.parse(origin)?.origin !== origin);
  if (invalid === undefined && origins.length > 0) return origins;
  ctx.addIssue({ code: "custom", message: `must be * or origins such as https://app.example separated by commas${invalid === undefined ? "" : `; not an origin: ${invalid}`}` });
  return z.NEVER;
});

/** https, or http on a loopback address (a provider on the operator's own machine, or the tests'). */
const oidcUrl = z.url({ protocol: /^https?$/ }).refine((url) => {
  const parsed = new URL(url);
  return parsed.protocol === "https:" || ["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname);
}, "must be an https:// URL (http:// only on a loopback address)");

/** The callback route is /admin/auth/callback (src/portal/auth/sign-in-routes.ts), maybe under a prefix a load balancer strips. */
const oidcRedirectUrl = oidcUrl.refine((url) => new URL(url).pathname.endsWith("/admin/auth/callback"), "must end with /admin/auth/callback, e.g. https://gw.example/admin/auth/callback");

function readModelMapFile(path: string, ctx: z.RefinementCtx): string | undefined {
  if (!existsSync(path)) {
    ctx.addIssue({ code: "custom", message: `is not JSON and no file exists at ${path}` });
    return undefined;
  }
  return readFileSync(path, "utf8");
}

export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default("0.0.0.0"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** A connection with no request in flight (idle keep-alive, a stalled body) is closed after this; Bun allows at most 255. */
  HTTP_IDLE_TIMEOUT_S: positiveInt.max(255).default(30),
  /** Requests in flight past which new ones get a fast 529 (and idle connections are shed): see src/http/connection-gate.ts. */
  MAX_CONNECTIONS: positiveInt.default(10_000),
  /** Origins browsers may call /v1 from (`*` for any); unset, no CORS headers are sent and preflights are not answered. */
  CORS_ORIGINS: corsOrigins.optional(),

  AWS_REGION: z.string().min(1).default("us-east-1"),
  /** Overrides the Bedrock Runtime endpoint (e.g. the emulator). */
  BEDROCK_ENDPOINT: optionalUrl,
  /** Overrides the Bedrock control-plane endpoint; defaults to BEDROCK_ENDPOINT when that is set. */
  BEDROCK_CONTROL_ENDPOINT: optionalUrl,
  /** A Bedrock API key; when set it is used instead of the AWS credential chain. */
  AWS_BEARER_TOKEN_BEDROCK: z.string().min(1).optional(),
  /** List the account's Bedrock models and inference profiles in GET /v1/models. */
  LIST_BEDROCK_MODELS: boolean.default(false),

  /** The operator's key: passes every /v1 check, and is the only credential of the admin API. */
  MASTER_API_KEY: z.string().min(16, "must be at least 16 characters").optional(),
  /** `keys`: /v1 needs an issued key (or the master key). `open`: requests without any key pass as anonymous (development); an unknown key is still refused. */
  AUTH_MODE: z.enum(["keys", "open"]).default("keys"),
  /** Requests and tokens per minute for keys without their own; unset, such keys are unlimited. */
  DEFAULT_RPM: positiveInt.optional(),
  DEFAULT_TPM: positiveInt.optional(),
  /** The tier of keys without their own, and of anonymous and master-key requests. */
  DEFAULT_SERVICE_TIER: serviceTierSchema.default("default"),

  MODEL_MAP: modelMap.optional(),
  DEFAULT_OPUS_MODEL: modelId.default("global.anthropic.claude-opus-4-6-v1"),
  DEFAULT_SONNET_MODEL: modelId.default("global.anthropic.claude-sonnet-4-6"),
  DEFAULT_HAIKU_MODEL: modelId.default("global.anthropic.claude-haiku-4-5-20251001-v1:0"),

  /** Time allowed for Bedrock to send the first byte of a response (connecting included). */
  UPSTREAM_FIRST_BYTE_TIMEOUT_MS: positiveInt.default(120_000),
  /** Time allowed for a whole upstream call, streams included. */
  UPSTREAM_TOTAL_TIMEOUT_MS: positiveInt.default(900_000),
  /** Retries of throttling and 5xx answers, only before the first byte reaches the client. */
  UPSTREAM_MAX_RETRIES: nonNegativeInt.max(10).default(2),
  UPSTREAM_RETRY_BASE_MS: positiveInt.default(250),
  /** Concurrent upstream requests (Bun's fetch queues past this; its own default is 256). Bun takes at most 65535. */
  UPSTREAM_MAX_CONNECTIONS: positiveInt.max(65_535).default(2_048),
  /**
   * Read by Bun's allocator (mimalloc) at process start: how long memory it frees waits before it is
   * handed back to the OS, in ms; -1 keeps it for reuse (docs/performance.md#allocator).
   */
  MIMALLOC_PURGE_DELAY: z.coerce.number().int().min(-1).default(-1),

  /** Where keys, usage, pricing and aliases live: the embedded SQLite file, or DynamoDB. */
  STORE: z.enum(["sqlite", "dynamodb"]).default("sqlite"),
  SQLITE_PATH: z.string().min(1).default("./data/proxy.db"),
  DYNAMODB_ENDPOINT: optionalUrl,
  DYNAMODB_TABLE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]*$/, "may hold only letters, digits, _ . -").default("bedrock-proxy-"),
  /** Create the DynamoDB tables on start (otherwise `bun run setup:tables` does). */
  DYNAMODB_CREATE_TABLES: boolean.default(false),
  /** Token buckets and shared caches in Redis; unset, they live in this process's memory. */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL").optional(),
  /** Longest a Redis command may take; past it (or at once while Redis is known to be down) RATE_LIMIT_ON_REDIS_ERROR applies. */
  REDIS_COMMAND_TIMEOUT_MS: positiveInt.max(60_000).default(500),
  /** A rate-limited request while Redis does not answer: `closed` refuses it (529 overloaded_error, retry-after), `open` admits it without limits. */
  RATE_LIMIT_ON_REDIS_ERROR: z.enum(["closed", "open"]).default("closed"),
  /** How long a key's record is trusted before it is read again: a key disabled anywhere is refused everywhere after at most this. */
  KEY_CACHE_TTL_MS: nonNegativeInt.max(1_000).default(1_000),
  USAGE_BATCH_SIZE: positiveInt.max(1_000).default(100),
  USAGE_FLUSH_INTERVAL_MS: positiveInt.default(1_000),
  /** While the store cannot be read, a budgeted key is served from the month spend read at most this long ago; past it, 529. */
  STORE_OUTAGE_GRACE_S: nonNegativeInt.default(300),
  /** How long shutdown keeps trying the store with the buffered usage; what it has not taken then is spooled. */
  USAGE_SHUTDOWN_TIMEOUT_MS: positiveInt.default(5_000),
  /** Usage the store did not take before shutdown is appended here (JSON lines) and written by the next start. */
  USAGE_SPOOL_PATH: z.string().min(1).default("./data/usage-spool.jsonl"),

  /** A `ping` event is sent after this long without any other event on a stream. */
  STREAM_PING_INTERVAL_MS: positiveInt.default(10_000),
  MAX_REQUEST_BYTES: positiveInt.default(32 * 1024 * 1024),
  IMAGE_FETCH_TIMEOUT_MS: positiveInt.default(10_000),
  IMAGE_FETCH_MAX_BYTES: positiveInt.default(3_750_000),
  /** `off`: URL image sources are refused with a 400 and nothing is ever fetched. */
  IMAGE_FETCH: z.enum(["on", "off"]).default("on"),
  /** What image URLs may reach although it is not public (an internal image server). */
  IMAGE_FETCH_ALLOW_HOSTS: allowHosts.prefault(""),

  /** The sandbox service (sandbox/) that runs the code of programmatic tool calling; unset, a code-execution tool is a 400. */
  SANDBOX_URL: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
  /** Its Bearer token (the service's own SANDBOX_TOKEN); required with SANDBOX_URL. */
  SANDBOX_TOKEN: z.string().min(1).optional(),
  /** Longest one call to the sandbox service may take: above its SANDBOX_EXEC_TIMEOUT_S, so its own timeout answers first. */
  SANDBOX_REQUEST_TIMEOUT_MS: positiveInt.default(75_000),
  /** Model calls one client request may make in the PTC loop; past it the answer stops with `pause_turn`. */
  PTC_MAX_MODEL_CALLS: positiveInt.max(100).default(10),
  /** Live containers one key may hold; past it the code tool answers `too_many_requests`. */
  PTC_MAX_CONTAINERS_PER_KEY: positiveInt.default(5),

  /** How operators sign in to the portal at /admin/: `master-key` (a form taking MASTER_API_KEY) or `oidc` (single sign-on). The admin API takes the master key in both. */
  ADMIN_AUTH: z.enum(["master-key", "oidc"]).default("master-key"),
  /** An admin session ends this long after sign-in. */
  ADMIN_SESSION_TTL_S: positiveInt.max(7 * 24 * 3600).default(8 * 3600),
  /** An admin session also ends after this long unused. */
  ADMIN_SESSION_IDLE_S: positiveInt.max(7 * 24 * 3600).default(3600),
  /** The OpenID provider's issuer URL (https; http only on a loopback address); required with ADMIN_AUTH=oidc. */
  OIDC_ISSUER: oidcUrl.optional(),
  /** The client registered with the provider; required with ADMIN_AUTH=oidc. */
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  /** Its secret; unset for a public client (PKCE alone). */
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** This proxy's callback as browsers reach it, registered with the provider: https://<host>/admin/auth/callback; required with ADMIN_AUTH=oidc. */
  OIDC_REDIRECT_URL: oidcRedirectUrl.optional(),
  /** Only members of this group may sign in; unset, any user the provider signs in is an admin. */
  OIDC_ADMIN_GROUP: z.string().min(1).optional(),
  /** The ID token claim that lists the user's groups. */
  OIDC_GROUPS_CLAIM: z.string().min(1).default("cognito:groups"),
  /** The OTLP/HTTP collector spans go to (`<endpoint>/v1/traces`); unset, tracing is off (lib/tracing.ts). */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default("anthropic-bedrock-proxy"),
  /** `off`: no metrics are kept and GET /metrics is not served (what `bun run bench` compares against). */
  METRICS: z.enum(["on", "off"]).default("on"),
  /** Serves GET /metrics on this port (same HOST) instead of PORT, for a scraper-only listener. */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Bearer token GET /metrics asks for (on PORT or METRICS_PORT); unset, /metrics is open like /health. */
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /** Distinct values one metric label (key, model, route, error) may take; later ones are counted as `other`. */
  METRICS_MAX_LABEL_VALUES: positiveInt.default(1_000),
});

export type Config = z.infer<typeof configSchema>;

/** The schema with its checks across variables (kept off configSchema, whose fields scripts pick). */
const checkedConfigSchema = configSchema.superRefine(sandboxPair).superRefine(oidcSettings);

/** SANDBOX_URL and SANDBOX_TOKEN turn PTC on together: one without the other is a mistake, not "off". */
function sandboxPair(env: { SANDBOX_URL?: string | undefined; SANDBOX_TOKEN?: string | undefined }, ctx: z.RefinementCtx): void {
  if (env.SANDBOX_URL !== undefined && env.SANDBOX_TOKEN === undefined) {
    ctx.addIssue({ code: "custom", path: ["SANDBOX_TOKEN"], message: "is required with SANDBOX_URL (the sandbox service's token)" });
  }
  if (env.SANDBOX_TOKEN !== undefined && env.SANDBOX_URL === undefined) {
    ctx.addIssue({ code: "custom", path: ["SANDBOX_URL"], message: "is required with SANDBOX_TOKEN (where the sandbox service listens)" });
  }
}

/** ADMIN_AUTH=oidc needs its provider, client and callback: without them no one could sign in. */
function oidcSettings(env: { ADMIN_AUTH: string; OIDC_ISSUER?: string | undefined; OIDC_CLIENT_ID?: string | undefined; OIDC_REDIRECT_URL?: string | undefined }, ctx: z.RefinementCtx): void {
  if (env.ADMIN_AUTH !== "oidc") return;
  for (const name of ["OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_REDIRECT_URL"] as const) {
    if (env[name] === undefined) ctx.addIssue({ code: "custom", path: [name], message: "is required with ADMIN_AUTH=oidc" });
  }
}

export { ConfigError };

/** Validates the environment; a wrong value throws a ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnvironment(checkedConfigSchema, env, "configuration");
}
