import type { Principal } from "../gateway/gateway.ts";
import type { Logger } from "../log.ts";

/** What every handler finds in `c.var`. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    /** Who is calling (set by the authentication middleware on /v1). */
    principal: Principal;
  };
}
