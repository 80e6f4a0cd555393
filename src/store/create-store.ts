import { type DynamoDbStoreOptions, openDynamoDbStore } from "./dynamodb/store.ts";
import { openSqliteStore } from "./sqlite/store.ts";
import type { Store } from "../gateway/store.ts";

export type StoreOptions =
  /** The embedded default: one file (created with its directory on first start), or `:memory:`. */
  | { kind: "sqlite"; path: string }
  /** `{ endpoint?, region, tablePrefix, createTables, credentials? }`. */
  | ({ kind: "dynamodb" } & DynamoDbStoreOptions);

/** The store the configuration chose (`STORE=sqlite|dynamodb`). */
export async function createStore(options: StoreOptions): Promise<Store> {
  switch (options.kind) {
    case "sqlite":
      return openSqliteStore(options.path);
    case "dynamodb":
      return openDynamoDbStore(options);
  }
}
