import type { ModelCatalog } from "../bedrock/catalog.ts";
import type { ModelResolver } from "../bedrock/models.ts";
import type { UpstreamCall } from "../bedrock/upstream.ts";
import type { Gateway } from "../gateway/gateway.ts";
import type { KeyService } from "../gateway/keys/service.ts";
import type { ServiceTier } from "../bedrock/service-tier.ts";
import type { Store } from "../gateway/store.ts";
import type { Logger } from "../../lib/log.ts";
import type { Dispatch } from "../ptc/dispatch.ts";
import type { AdminAuth } from "../portal/auth/admin-auth.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { ContainerStore } from "../ptc/containers/container-store.ts";

/** What the HTTP layer needs from the rest of the proxy, built once in `createProxy`. */
export type ReadinessChecks = Record<string, () => Promise<void>>;

export interface ProxyDeps {
  log: Logger;
  models: ModelResolver;
  catalog: ModelCatalog;
  /** Where each request's answer comes from: its model's upstream, or the PTC loop over it. */
  dispatch: Dispatch;
  newCall(signal: AbortSignal, context: { messageId: string; log: Logger; serviceTier: ServiceTier }): UpstreamCall;
  gateway: Gateway;
  store: Store;
  keys: KeyService;
  /** Called after an operator changes aliases or prices, so this replica sees the change at once. */
  onAliasesChanged(): void;
  onPricesChanged(): void;
  pingIntervalMs: number;
  masterKey: string | undefined;
  /** Admin sign-in: the master key or a session, for the admin API and the portal. */
  adminAuth: AdminAuth;
  /** The live PTC containers, for the portal; undefined when PTC is off. */
  containers: ContainerStore | undefined;
  /** The gateway's clock, for the portal's months and ranges. */
  now: () => Date;
  maxRequestBytes: number;
  /** CORS_ORIGINS: the origins browsers may call /v1 from; undefined, CORS is off. */
  corsOrigins: "*" | string[] | undefined;
  /**
   * Named checks of what the proxy depends on, for GET /ready: `required` (the store, Bedrock) make it
   * not ready; `optional` (the sandbox service, which only PTC requests need) only degrade it.
   */
  readiness: { required: ReadinessChecks; optional: ReadinessChecks };
  /** undefined with METRICS=off; `served` says whether GET /metrics is on this app (not on METRICS_PORT). */
  metrics?: { metrics: Metrics; served: boolean; token: string | undefined } | undefined;
}
