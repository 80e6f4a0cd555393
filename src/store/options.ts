import type { StoreOptions } from "./create-store.ts";

/**
 * The store settings of the environment, already validated (by the proxy's configuration or a
 * script's own schema): what `STORE=sqlite|dynamodb` and its companions chose.
 */
export interface StoreSettings {
  STORE: "sqlite" | "dynamodb";
  SQLITE_PATH: string;
  DYNAMODB_ENDPOINT?: string | undefined;
  DYNAMODB_TABLE_PREFIX: string;
  DYNAMODB_CREATE_TABLES: boolean;
  AWS_REGION: string;
}

/** The one mapping from settings to `createStore` options, shared by the proxy and the CLI. */
export function storeOptionsFrom(env: StoreSettings): StoreOptions {
  if (env.STORE === "sqlite") return { kind: "sqlite", path: env.SQLITE_PATH };
  return {
    kind: "dynamodb",
    endpoint: env.DYNAMODB_ENDPOINT,
    region: env.AWS_REGION,
    tablePrefix: env.DYNAMODB_TABLE_PREFIX,
    createTables: env.DYNAMODB_CREATE_TABLES,
  };
}
