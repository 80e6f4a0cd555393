import type { Store } from "../../gateway/store.ts";
import { sqliteAliasStore } from "./aliases.ts";
import { sqliteAuditStore } from "./audit.ts";
import { openDatabase } from "./database.ts";
import { sqliteKeyStore } from "./keys.ts";
import { sqlitePricingStore } from "./pricing.ts";
import { sqliteUsageQueries } from "./usage-queries.ts";
import { sqliteUsageStore } from "./usage.ts";

/**
 * The embedded store: one bun:sqlite connection, prepared statements, a transaction per write that
 * touches more than one row. Its calls are synchronous underneath; the async interface is the one
 * the DynamoDB store needs.
 */
export function openSqliteStore(path: string): Store {
  const db = openDatabase(path);
  const probe = db.query<{ ok: number }, []>("SELECT 1 AS ok");
  let closed = false;
  return {
    kind: "sqlite",
    ...sqliteKeyStore(db),
    ...sqliteUsageStore(db),
    ...sqlitePricingStore(db),
    ...sqliteAliasStore(db),
    ...sqliteUsageQueries(db),
    ...sqliteAuditStore(db),
    async ready() {
      if (closed) throw new Error("the SQLite store is closed");
      probe.get();
    },
    async close() {
      if (closed) return;
      closed = true;
      // Finalizes the cached statements; in WAL mode the last connection also checkpoints the log.
      db.close();
    },
  };
}
