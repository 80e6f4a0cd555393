import type { AuditStore } from "./audit/audit-entry.ts";
import type { KeyStore } from "./keys/api-key.ts";
import type { AliasStore } from "./model-alias.ts";
import type { PricingStore } from "./pricing/model-price.ts";
import type { UsageQueryStore } from "./usage/usage-queries.ts";
import type { UsageStore } from "./usage/usage-record.ts";

/**
 * What the gateway keeps: API keys, usage records and their roll-ups, month-to-date spend, prices and
 * model aliases, and the audit log of operators' changes. The gateway declares it here and in each concern's records (`keys/api-key.ts`,
 * `usage/usage-record.ts`, `usage/usage-queries.ts`, `pricing/model-price.ts`, `model-alias.ts`, `audit/audit-entry.ts`); two implementations in `src/store/`
 * (`sqlite/`, `dynamodb/`) honour it and one contract suite (`test/store/contract.ts`) holds them to it.
 */
export interface Store extends KeyStore, UsageStore, UsageQueryStore, PricingStore, AliasStore, AuditStore {
  readonly kind: "sqlite" | "dynamodb";
  /** Resolves when the store answers (for GET /ready); rejects with the reason otherwise. */
  ready(): Promise<void>;
  close(): Promise<void>;
}
