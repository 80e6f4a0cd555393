import type { Logger } from "../../../lib/log.ts";
import type { Config } from "../../config.ts";
import type { AdminAuth } from "./admin-auth.ts";
import { AdminSessions } from "./admin-sessions.ts";
import { AdminCookies } from "./cookies.ts";
import { MemorySessionStore } from "./memory-session-store.ts";
import { OidcSignIn } from "./oidc.ts";
import { RedisSessionStore } from "./redis-session-store.ts";
import type { SessionStore } from "./session-store.ts";

export type AdminAuthConfig = Pick<
  Config,
  | "ADMIN_AUTH"
  | "MASTER_API_KEY"
  | "ADMIN_SESSION_TTL_S"
  | "ADMIN_SESSION_IDLE_S"
  | "OIDC_ISSUER"
  | "OIDC_CLIENT_ID"
  | "OIDC_CLIENT_SECRET"
  | "OIDC_REDIRECT_URL"
  | "OIDC_ADMIN_GROUP"
  | "OIDC_GROUPS_CLAIM"
  | "REDIS_URL"
  | "REDIS_COMMAND_TIMEOUT_MS"
>;

/**
 * Admin sign-in as configured: sessions in Redis when REDIS_URL is set (every replica honours a
 * sign-in and a sign-out), in memory otherwise; OIDC when ADMIN_AUTH=oidc (the config has checked
 * that its settings are all there). `store` lets tests bring their own.
 */
export function createAdminAuth(config: AdminAuthConfig, log: Logger, options: { store?: SessionStore; now?: () => number } = {}): AdminAuth {
  const store =
    options.store ??
    (config.REDIS_URL ? new RedisSessionStore({ url: config.REDIS_URL, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, log }) : new MemorySessionStore(options.now));
  const sessions = new AdminSessions(store, { ttlMs: config.ADMIN_SESSION_TTL_S * 1_000, idleMs: config.ADMIN_SESSION_IDLE_S * 1_000, ...(options.now && { now: options.now }) });
  const redirectUrl = config.OIDC_REDIRECT_URL === undefined ? undefined : new URL(config.OIDC_REDIRECT_URL);
  return {
    mode: config.ADMIN_AUTH,
    masterKey: config.MASTER_API_KEY,
    sessions,
    cookies: new AdminCookies(redirectUrl?.protocol === "https:"),
    oidc: config.ADMIN_AUTH === "oidc" ? new OidcSignIn(oidcSettings(config)) : undefined,
    publicOrigin: redirectUrl?.origin,
    sessionTtlS: config.ADMIN_SESSION_TTL_S,
    close: () => sessions.close(),
  };
}

function oidcSettings(config: AdminAuthConfig) {
  const { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: clientId, OIDC_REDIRECT_URL: redirectUrl } = config;
  if (issuer === undefined || clientId === undefined || redirectUrl === undefined) throw new Error("ADMIN_AUTH=oidc without its settings: loadConfig refuses this");
  return {
    issuer,
    clientId,
    clientSecret: config.OIDC_CLIENT_SECRET,
    redirectUrl,
    adminGroup: config.OIDC_ADMIN_GROUP,
    groupsClaim: config.OIDC_GROUPS_CLAIM,
  };
}
