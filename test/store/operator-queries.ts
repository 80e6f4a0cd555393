import { describe, expect, test } from "bun:test";
import { type AdminActor, type AuditEntry, auditEntry } from "../../src/gateway/audit/audit-entry.ts";
import { StoreConflictError } from "../../src/gateway/keys/api-key.ts";
import type { Store } from "../../src/gateway/store.ts";
import type { UsageLogQuery } from "../../src/gateway/usage/usage-queries.ts";
import { usageRecord } from "../support/usage-record.ts";

/** The operator's queries (request log, month's spenders, audit log), part of the one store contract. */
export function operatorQueriesContract(store: () => Store): void {
  describe("request log", () => {
    const records = [
      usageRecord("a", { key_id: "k1", resolved_model: "m1", created_at: "2026-11-01T09:00:00Z" }),
      usageRecord("b", { key_id: "k2", resolved_model: "m2", created_at: "2026-11-01T10:00:00Z", status: 429, error_type: "rate_limit_error" }),
      usageRecord("c", { key_id: "k1", resolved_model: "m2", created_at: "2026-11-02T10:00:00Z" }),
      // Same time as c: the request id orders them.
      usageRecord("d", { key_id: "k2", resolved_model: "m1", created_at: "2026-11-02T10:00:00Z", status: 500, error_type: "api_error" }),
      usageRecord("e", { key_id: "k1", resolved_model: "m1", created_at: "2026-11-05T23:59:59.999Z", status: 400, error_type: "invalid_request_error" }),
    ];
    const range = { from: "2026-10-01T00:00:00Z", to: "2026-12-01T00:00:00Z" };
    const ids = async (query: UsageLogQuery) => (await store().listUsage({ ...range, ...query })).data.map((record) => record.request_id);

    test("lists every key's records newest first, then by request id", async () => {
      await store().writeUsage(records);
      expect(await ids({})).toEqual(["e", "d", "c", "b", "a"]);
      expect((await store().listUsage({ ...range, limit: 1 })).data[0]).toEqual(await store().getUsage("e"));
    });

    test("filters by key, model, status, errors and [from, to)", async () => {
      await store().writeUsage(records);
      expect(await ids({ key_id: "k1" })).toEqual(["e", "c", "a"]);
      expect(await ids({ model: "m1" })).toEqual(["e", "d", "a"]);
      expect(await ids({ key_id: "k2", model: "m1" })).toEqual(["d"]);
      expect(await ids({ status: 200 })).toEqual(["c", "a"]);
      expect(await ids({ status: "error" })).toEqual(["e", "d", "b"]);
      expect(await ids({ key_id: "k1", status: "error" })).toEqual(["e"]);
      expect(await ids({ from: "2026-11-01T10:00:00Z", to: "2026-11-05T23:59:59.999Z" })).toEqual(["d", "c", "b"]);
      expect(await ids({ key_id: "k3" })).toEqual([]);
    });

    test("pages by cursor, with or without a key, a filter and a range", async () => {
      await store().writeUsage(records);
      for (const query of [{}, { key_id: "k1" }, { status: "error" as const }, { from: "2026-11-01T10:00:00Z" }]) {
        const all = await ids(query);
        const paged: string[] = [];
        let cursor: string | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const page = await store().listUsage({ ...range, ...query, cursor, limit: 2 });
          paged.push(...page.data.map((record) => record.request_id));
          if (page.data.length === 2) expect(page.next_cursor).not.toBeNull();
          cursor = page.next_cursor ?? undefined;
          if (cursor === undefined) break;
        }
        expect(paged).toEqual(all);
      }
    });

    test("without a range, reaches back a year from now", async () => {
      const now = Date.now();
      await store().writeUsage([
        usageRecord("recent", { created_at: new Date(now - 86_400_000).toISOString() }),
        usageRecord("ancient", { created_at: new Date(now - 400 * 86_400_000).toISOString() }),
      ]);
      expect((await store().listUsage({})).data.map((record) => record.request_id)).toEqual(["recent"]);
    });
  });

  describe("month's spenders", () => {
    test("lists the month's keys by spend, largest first, at most the limit", async () => {
      await store().addMonthSpend("k1", "2026-11", 1.5);
      await store().addMonthSpend("k2", "2026-11", 7.25);
      await store().addMonthSpend("k3", "2026-11", 0.5);
      await store().addMonthSpend("k3", "2026-10", 99);
      await store().writeUsage([usageRecord("r1", { key_id: "k3", created_at: "2026-11-03T00:00:00Z", cost_usd: 2 })]);
      expect(await store().topMonthSpend("2026-11", 10)).toEqual([
        { key_id: "k2", spend_usd: 7.25 },
        { key_id: "k3", spend_usd: 2.5 },
        { key_id: "k1", spend_usd: 1.5 },
      ]);
      expect(await store().topMonthSpend("2026-11", 1)).toEqual([{ key_id: "k2", spend_usd: 7.25 }]);
      expect(await store().topMonthSpend("2026-12", 10)).toEqual([]);
    });
  });

  describe("audit log", () => {
    const cli: AdminActor = { via: "cli" };
    const person: AdminActor = { via: "oidc", subject: "sub-1", email: "ann@example.com", name: "Ann" };
    const entry = (id: string, at: string, overrides: Partial<AuditEntry> = {}): AuditEntry => ({
      ...auditEntry(cli, "key.update", "k1", { name: "old" }, { name: "new" }),
      id,
      at,
      ...overrides,
    });

    test("an entry round-trips, actor and states included", async () => {
      const created = auditEntry(person, "key.create", "k1", null, { id: "k1", name: "key", allowed_models: ["*"], rpm: null });
      expect(await store().appendAudit(created)).toEqual(created);
      expect((await store().listAudit({})).data).toEqual([created]);
      await expect(store().appendAudit(created)).rejects.toBeInstanceOf(StoreConflictError);
    });

    test("lists newest first, filtered by target and action, paged by cursor", async () => {
      const entries = [
        entry("aud_1", "2026-11-01T00:00:00.000Z"),
        entry("aud_2", "2026-11-02T00:00:00.000Z", { target: "k2" }),
        entry("aud_3", "2026-11-02T00:00:00.000Z", { action: "key.disable" }),
        entry("aud_4", "2026-11-03T00:00:00.000Z", { action: "alias.set", target: "fast", actor: person }),
      ];
      for (const one of entries) await store().appendAudit(one);
      const ids = async (query: Parameters<Store["listAudit"]>[0]) => (await store().listAudit(query)).data.map((one) => one.id);
      expect(await ids({})).toEqual(["aud_4", "aud_3", "aud_2", "aud_1"]);
      expect(await ids({ target: "k1" })).toEqual(["aud_3", "aud_1"]);
      expect(await ids({ action: "key.update" })).toEqual(["aud_2", "aud_1"]);
      expect(await ids({ target: "k1", action: "key.update" })).toEqual(["aud_1"]);
      expect(await ids({ target: "nothing" })).toEqual([]);
      const first = await store().listAudit({ limit: 3 });
      expect(first.data.map((one) => one.id)).toEqual(["aud_4", "aud_3", "aud_2"]);
      expect(await ids({ limit: 3, cursor: first.next_cursor ?? "" })).toEqual(["aud_1"]);
      const byTarget = await store().listAudit({ target: "k1", limit: 1 });
      expect(await ids({ target: "k1", cursor: byTarget.next_cursor ?? "" })).toEqual(["aud_1"]);
      expect((await store().listAudit({ limit: 4 })).next_cursor).not.toBeNull();
      expect((await store().listAudit({ limit: 5 })).next_cursor).toBeNull();
    });
  });
}
