import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { AdminActor } from "../../src/gateway/audit/audit-entry.ts";
import { KeyService } from "../../src/gateway/keys/service.ts";
import { ModelSettingsService } from "../../src/gateway/model-settings.ts";
import type { Store } from "../../src/gateway/store.ts";
import { createStore } from "../../src/store/create-store.ts";

const person: AdminActor = { via: "oidc", subject: "sub-1", email: "ann@example.com" };

let store: Store;
beforeEach(async () => {
  store = await createStore({ kind: "sqlite", path: ":memory:" });
});
afterEach(async () => {
  await store.close();
});

const log = async () => (await store.listAudit({})).data.reverse();

describe("key changes are audited", () => {
  test("each change names its action and actor, with the key before and after", async () => {
    const keys = new KeyService(store);
    const { key } = await keys.create({ name: "team", rpm: 10 }, person);
    await keys.update(key.id, { rpm: 20 }, { via: "master-key" });
    await keys.update(key.id, { status: "disabled", status_reason: "paused" }, { via: "cli" });
    await keys.update(key.id, { status: "active" }, person);
    await keys.rotate(key.id, person);
    await keys.revoke(key.id, person, "leaked");
    const entries = await log();
    expect(entries.map((entry) => [entry.action, entry.actor.via, entry.target])).toEqual([
      ["key.create", "oidc", key.id],
      ["key.update", "master-key", key.id],
      ["key.disable", "cli", key.id],
      ["key.enable", "oidc", key.id],
      ["key.rotate", "oidc", key.id],
      ["key.revoke", "oidc", key.id],
    ]);
    expect(entries[0]).toMatchObject({ actor: person, before: null, after: { id: key.id, name: "team", rpm: 10 } });
    expect(entries[1]).toMatchObject({ before: { rpm: 10 }, after: { rpm: 20 } });
    expect(entries[2]).toMatchObject({ before: { status: "active" }, after: { status: "disabled", status_reason: "paused" } });
    expect(entries[5]).toMatchObject({ after: { status: "revoked", status_reason: "leaked" } });
  });

  test("no entry holds a secret or a key hash", async () => {
    const keys = new KeyService(store);
    const created = await keys.create({ name: "team" }, person);
    const rotated = await keys.rotate(created.key.id, person);
    const stored = await store.getKey(created.key.id);
    const text = JSON.stringify(await log());
    for (const secret of [created.secret, rotated?.secret ?? "", created.key.key_hash, stored?.key_hash ?? ""]) expect(text).not.toContain(secret);
    expect(text).not.toContain("key_hash");
    expect(text).not.toContain("last_used_at");
  });

  test("a change that did not happen leaves no entry", async () => {
    const keys = new KeyService(store);
    expect(await keys.update("key_missing", { rpm: 1 }, person)).toBeUndefined();
    expect(await keys.rotate("key_missing", person)).toBeUndefined();
    const { key } = await keys.create({ name: "team" }, person);
    await keys.revoke(key.id, person);
    await expect(keys.update(key.id, { status: "active" }, person)).rejects.toThrow();
    expect((await log()).map((entry) => entry.action)).toEqual(["key.create", "key.revoke"]);
  });
});

describe("price and alias changes are audited", () => {
  test("set and delete, with the row before and after, and the replica told to reload", async () => {
    const reloads = { prices: 0, aliases: 0 };
    const settings = new ModelSettingsService(store, { onPricesChanged: () => reloads.prices++, onAliasesChanged: () => reloads.aliases++ });
    const price = {
      model_id: "amazon.nova-micro-v1:0",
      input_usd_per_mtok: 1,
      output_usd_per_mtok: 2,
      cache_read_usd_per_mtok: 0.1,
      cache_write_usd_per_mtok: 1.25,
      tier_multipliers: { default: 1, flex: 0.5, priority: 1.75, reserved: 1 },
    };
    await settings.putPrice(price, person);
    await settings.putPrice({ ...price, input_usd_per_mtok: 3 }, person);
    expect(await settings.deletePrice(price.model_id, person)).toBe(true);
    expect(await settings.deletePrice(price.model_id, person)).toBe(false);
    await settings.putAlias({ alias: "fast", model_id: price.model_id }, { via: "master-key" });
    expect(await settings.deleteAlias("fast", { via: "master-key" })).toBe(true);
    expect(await settings.deleteAlias("fast", { via: "master-key" })).toBe(false);
    const entries = await log();
    expect(entries.map((entry) => [entry.action, entry.target])).toEqual([
      ["price.set", price.model_id],
      ["price.set", price.model_id],
      ["price.delete", price.model_id],
      ["alias.set", "fast"],
      ["alias.delete", "fast"],
    ]);
    expect(entries[0]).toMatchObject({ before: null, after: { input_usd_per_mtok: 1 } });
    expect(entries[1]).toMatchObject({ before: { input_usd_per_mtok: 1 }, after: { input_usd_per_mtok: 3 } });
    expect(entries[2]).toMatchObject({ before: { input_usd_per_mtok: 3 }, after: null });
    expect(entries[4]).toMatchObject({ before: { alias: "fast", model_id: price.model_id }, after: null });
    expect(reloads).toEqual({ prices: 3, aliases: 2 });
  });
});
