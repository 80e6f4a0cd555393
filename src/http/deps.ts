import type { ModelCatalog } from "../bedrock/catalog.ts";
import type { ModelResolver, Route } from "../bedrock/models.ts";
import type { Upstream, UpstreamCall } from "../bedrock/upstream.ts";
import type { Logger } from "../log.ts";

/** What the HTTP layer needs from the rest of the proxy, built once in `createProxy`. */
export interface ProxyDeps {
  log: Logger;
  models: ModelResolver;
  catalog: ModelCatalog;
  upstreams: Record<Route, Upstream>;
  newCall(signal: AbortSignal, context: { messageId: string; log: Logger }): UpstreamCall;
  pingIntervalMs: number;
  masterKey: string | undefined;
  maxRequestBytes: number;
  /** Named checks of what the proxy depends on, for GET /ready. */
  readiness: Record<string, () => Promise<void>>;
}
