import type { Logger } from "../log.ts";

/** What every handler finds in `c.var`. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
  };
}
