import { describe, expect, test } from "bun:test";
import { KeyCache } from "../../src/gateway/keys/key-cache.ts";
import { KeyService } from "../../src/gateway/keys/service.ts";
import { hashKey } from "../../src/gateway/keys/secret.ts";
import { StoreOutage } from "../../src/gateway/store-outage.ts";
import { createLogger } from "../../lib/log.ts";
import { createStore } from "../../src/store/create-store.ts";
import type { KeyStore } from "../../src/gateway/keys/api-key.ts";

const quiet = createLogger("error", {}, () => {});

/** A real SQLite store whose key reads are counted (and can be made to fail). */
async function countingStore() {
  const store = await createStore({ kind: "sqlite", path: ":memory:" });
  const state = { reads: 0, failing: false };
  const keys: KeyStore = Object.assign(Object.create(store) as KeyStore, {
    getKeyByHash: async (hash: string) => {
      state.reads++;
      if (state.failing) throw new Error("store unavailable");
      return store.getKeyByHash(hash);
    },
  });
  return { store, keys, state };
}

describe("the key cache", () => {
  test("concurrent lookups of an expired entry make one store read", async () => {
    const { store, keys, state } = await countingStore();
    const { secret } = await new KeyService(store).create({ name: "k" }, { via: "cli" });
    const cache = new KeyCache(keys, new StoreOutage(quiet), 1_000);
    const found = await Promise.all(Array.from({ length: 50 }, () => cache.byHash(hashKey(secret))));
    expect(found.every((key) => key?.name === "k")).toBe(true);
    expect(state.reads).toBe(1);
  });

  test("entries live for the TTL at most", async () => {
    let now = 0;
    const { store, keys, state } = await countingStore();
    const { key, secret } = await new KeyService(store).create({ name: "k" }, { via: "cli" });
    const cache = new KeyCache(keys, new StoreOutage(quiet), 1_000, () => now);
    await cache.byHash(hashKey(secret));
    await store.updateKey(key.id, { status: "disabled" });
    now = 999;
    expect((await cache.byHash(hashKey(secret)))?.status).toBe("active");
    now = 1_000;
    expect((await cache.byHash(hashKey(secret)))?.status).toBe("disabled");
    expect(state.reads).toBe(2);
  });

  test("a key seen before survives a store outage; an unseen one is a 529 overloaded_error", async () => {
    let now = 0;
    const { store, keys, state } = await countingStore();
    const { secret } = await new KeyService(store).create({ name: "k" }, { via: "cli" });
    const cache = new KeyCache(keys, new StoreOutage(quiet), 10, () => now);
    await cache.byHash(hashKey(secret));
    await cache.byHash(hashKey("sk-abp-unknown"));
    state.failing = true;
    now = 100;
    expect((await cache.byHash(hashKey(secret)))?.name).toBe("k");
    expect(await cache.byHash(hashKey("sk-abp-unknown"))).toBeUndefined();
    const unseen = await cache.byHash(hashKey("sk-abp-never-seen")).catch((e: unknown) => e);
    expect(unseen).toMatchObject({ type: "overloaded_error", status: 529, retryAfterSeconds: 5 });
  });

  test("a change made through the key service on this replica is seen at once", async () => {
    const { store, keys } = await countingStore();
    const cache = new KeyCache(keys, new StoreOutage(quiet), 60_000);
    const service = new KeyService(store, () => cache.forget());
    const { key, secret } = await service.create({ name: "k" }, { via: "cli" });
    await cache.byHash(hashKey(secret));
    await service.revoke(key.id, { via: "cli" }, "test");
    expect((await cache.byHash(hashKey(secret)))?.status).toBe("revoked");
  });
});
