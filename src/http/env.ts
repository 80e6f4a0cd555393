import type { AdminActor } from "../gateway/audit/audit-entry.ts";
import type { Principal } from "../gateway/gateway.ts";
import type { Logger } from "../../lib/log.ts";

/** What every handler finds in `c.var`, and in `c.env` what the server tells it about the connection. */
export interface AppEnv {
  Bindings: { connection: RequestConnection };
  Variables: {
    requestId: string;
    log: Logger;
    /** Who is calling (set by the authentication middleware on /v1). */
    principal: Principal;
    /** The resolved model id of a /v1/messages request (set by its handler, for metrics). */
    model: string;
    /** Who is calling the admin API or portal (set by the admin auth middleware on /admin): audited with every change. */
    actor: AdminActor;
  };
}

/** The connection a request came on, as the server (src/server.ts) lets the HTTP layer see and steer it. */
export interface RequestConnection {
  /** The target's path segments as sent, before URL normalisation; undefined when Bun could not split it (src/http/request-target.ts). */
  rawSegments: readonly string[] | undefined;
  /** More requests are in flight than MAX_CONNECTIONS: this one is refused at once. */
  overloaded: boolean;
  /** The body is read and the request now waits on the model: the idle timeout is off until `answered`. */
  awaitModel(): void;
  /** The answer is written (or the stream has ended): the idle timeout applies to the connection again. */
  answered(): void;
}
