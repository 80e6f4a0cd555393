import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashKey } from "../../src/gateway/keys/secret.ts";
import { createStore } from "../../src/store/create-store.ts";
import type { Store } from "../../src/gateway/store.ts";
import { usageRecord } from "../support/usage-record.ts";
import { startDynamoDbLocal } from "../support/dynamodb-local.ts";

const root = join(import.meta.dir, "..", "..");
/** Each test spawns several processes; Bun starts each in well under a second. */
const timeout = 30_000;

let dir: string;
let sqlitePath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "keys-cli-"));
  sqlitePath = join(dir, "nested", "proxy.db");
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** `bun scripts/keys.ts …` against the test's SQLite file, as an operator runs it. */
async function keys(args: string[], env: Record<string, string> = {}) {
  const child = Bun.spawn(["bun", "scripts/keys.ts", ...args], {
    cwd: root,
    env: { ...process.env, STORE: "sqlite", SQLITE_PATH: sqlitePath, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  return { code, stdout, stderr };
}

async function keysJson(args: string[]): Promise<Record<string, unknown> & { data?: Record<string, unknown>[] }> {
  const run = await keys([...args, "--json"]);
  expect({ code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ code: 0, stderr: "" });
  return JSON.parse(run.stdout) as Record<string, unknown> & { data?: Record<string, unknown>[] };
}

/** The same file, opened directly, to check what the CLI wrote. */
async function withStore<T>(use: (store: Store) => Promise<T>): Promise<T> {
  const store = await createStore({ kind: "sqlite", path: sqlitePath });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

function secretIn(output: string): string {
  const match = /sk-abp-[A-Za-z0-9_-]{43}/.exec(output);
  if (!match) throw new Error(`no secret in:\n${output}`);
  return match[0];
}

describe("keys CLI", () => {
  test(
    "create prints the secret once with a warning, and the store keeps only its hash",
    async () => {
      const run = await keys(["create", "--name", "team a", "--owner", "ann", "--rpm", "60", "--tpm", "100000", "--budget", "12.5", "--tier", "flex", "--models", "claude-*, qwen.*", "--expires", "2027-01-01T00:00:00Z"]);
      expect(run.code).toBe(0);
      const secret = secretIn(run.stdout);
      expect(run.stdout.split(secret)).toHaveLength(2);
      expect(run.stdout).toContain("only time the secret is shown");
      const stored = await withStore((store) => store.getKeyByHash(hashKey(secret)));
      expect(stored).toMatchObject({ name: "team a", owner: "ann", rpm: 60, tpm: 100_000, monthly_budget_usd: 12.5, service_tier: "flex", allowed_models: ["claude-*", "qwen.*"], expires_at: "2027-01-01T00:00:00.000Z", status: "active" });
      expect(run.stdout).toContain(String(stored?.id));

      const json = await keys(["create", "--name", "scripted", "--json"]);
      const issued = JSON.parse(json.stdout) as Record<string, unknown>;
      expect(issued).toMatchObject({ id: expect.stringMatching(/^key_/), key: expect.stringMatching(/^sk-abp-/), name: "scripted", status: "active" });
      expect(issued).not.toHaveProperty("key_hash");
      expect(json.stderr).toContain("only time the secret is shown");
    },
    timeout,
  );

  test(
    "list and show never print a secret or a hash",
    async () => {
      const first = secretIn((await keys(["create", "--name", "first"])).stdout);
      const second = secretIn((await keys(["create", "--name", "second", "--owner", "bob"])).stdout);
      const listedInStore = await withStore((store) => store.listKeys());
      const ids = listedInStore.map((key) => key.id);
      const bobs = String(listedInStore.find((key) => key.owner === "bob")?.id);

      const table = await keys(["list"]);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^ID +NAME +OWNER +STATUS +PREFIX/);
      for (const id of ids) expect(table.stdout).toContain(id);
      expect(table.stdout).toContain(first.slice(0, 13));
      const listed = await keysJson(["list"]);
      expect(listed.data?.map((key) => key.id)).toEqual(ids);
      const shown = await keys(["show", bobs]);
      expect(shown.stdout).toMatch(/owner +bob/);
      const shownJson = await keysJson(["show", bobs]);
      expect(shownJson).toMatchObject({ id: bobs, name: "second", owner: "bob", month_spend: [] });

      for (const output of [table.stdout, JSON.stringify(listed), shown.stdout, JSON.stringify(shownJson)]) {
        expect(output).not.toContain("key_hash");
        for (const secret of [first, second]) {
          expect(output).not.toContain(secret);
          expect(output).not.toContain(hashKey(secret));
        }
      }
    },
    timeout,
  );

  test(
    "disable, enable, revoke; a revoked key cannot be enabled",
    async () => {
      const { id } = await keysJson(["create", "--name", "k"]);
      const keyId = String(id);
      expect(await keysJson(["disable", keyId, "--reason", "pending review"])).toMatchObject({ status: "disabled", status_reason: "pending review" });
      expect((await keys(["list"])).stdout).toContain("disabled");
      const enabled = await keys(["enable", keyId]);
      expect(enabled).toMatchObject({ code: 0, stdout: expect.stringContaining(`enabled key ${keyId}`) });
      expect(await withStore((store) => store.getKey(keyId))).toMatchObject({ status: "active", status_reason: null });

      const revoked = await keys(["revoke", keyId, "--reason", "leaked"]);
      expect(revoked).toMatchObject({ code: 0, stdout: expect.stringContaining(`revoked key ${keyId}`) });
      expect(await keysJson(["show", keyId])).toMatchObject({ status: "revoked", status_reason: "leaked" });
      const refused = await keys(["enable", keyId]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("revoked and cannot be re-activated");
      expect(await withStore((store) => store.getKey(keyId))).toMatchObject({ status: "revoked" });
    },
    timeout,
  );

  test(
    "every change is in the audit log, made by the CLI",
    async () => {
      const { id } = await keysJson(["create", "--name", "k"]);
      const keyId = String(id);
      await keysJson(["disable", keyId]);
      await keysJson(["enable", keyId]);
      await keysJson(["rotate", keyId]);
      await keysJson(["revoke", keyId]);
      const log = await withStore((store) => store.listAudit({ target: keyId }));
      expect(log.data.map((entry) => [entry.action, entry.actor])).toEqual([
        ["key.revoke", { via: "cli" }],
        ["key.rotate", { via: "cli" }],
        ["key.enable", { via: "cli" }],
        ["key.disable", { via: "cli" }],
        ["key.create", { via: "cli" }],
      ]);
    },
    timeout,
  );

  test(
    "rotate prints a new secret for the same key; the old one stops working",
    async () => {
      const old = secretIn((await keys(["create", "--name", "k", "--rpm", "5"])).stdout);
      const keyId = String((await withStore((store) => store.getKeyByHash(hashKey(old))))?.id);
      const rotated = await keys(["rotate", keyId]);
      expect(rotated.code).toBe(0);
      const fresh = secretIn(rotated.stdout);
      expect(fresh).not.toBe(old);
      expect(rotated.stdout).toContain("only time the secret is shown");
      await withStore(async (store) => {
        expect(await store.getKeyByHash(hashKey(old))).toBeUndefined();
        expect(await store.getKeyByHash(hashKey(fresh))).toMatchObject({ id: keyId, rpm: 5 });
      });
    },
    timeout,
  );

  test(
    "usage shows the roll-ups, by day unless asked by hour, filtered by key",
    async () => {
      await withStore((store) =>
        store.writeUsage([
          usageRecord("r1", { key_id: "k1", created_at: "2026-11-01T09:15:00Z" }),
          usageRecord("r2", { key_id: "k1", created_at: "2026-11-01T10:15:00Z" }),
          usageRecord("r3", { key_id: "k2", created_at: "2026-11-02T08:00:00Z" }),
        ]),
      );
      const daily = await keys(["usage"]);
      expect(daily.code).toBe(0);
      expect(daily.stdout).toMatch(/^DAY +KEY +MODEL +REQUESTS +INPUT +OUTPUT/);
      expect(daily.stdout).toMatch(/2026-11-01T00:00:00.000Z +k1 +model-a +2 +200 +100/);
      expect(daily.stdout).toMatch(/2026-11-02T00:00:00.000Z +k2 +model-a +1/);

      const hourly = await keysJson(["usage", "--key", "k1", "--bucket", "hour", "--from", "2026-11-01T10:00:00Z", "--to", "2026-11-02T00:00:00Z"]);
      expect(hourly.data).toEqual([
        {
          bucket_start: "2026-11-01T10:00:00.000Z",
          key_id: "k1",
          model: "model-a",
          requests: 1,
          input_tokens: 100,
          output_tokens: 50,
          cache_read_input_tokens: 0,
          cache_creation_input_tokens: 0,
          cost_usd: 0.01,
          errors: 0,
        },
      ]);
      expect((await keys(["usage", "--key", "k9"])).stdout.trim()).toBe("(none)");
    },
    timeout,
  );

  test(
    "bad arguments say what is wrong and exit 2; an unknown key exits 1",
    async () => {
      const cases: [string[], RegExp][] = [
        [[], /a command is required/],
        [["bogus"], /unknown command "bogus"/],
        [["create"], /--name/],
        [["create", "--name", "x", "--rpm", "many"], /--rpm/],
        [["create", "--name", "x", "--budget", "-5"], /--budget/],
        [["create", "--name", "x", "--tier", "gold"], /--tier/],
        [["create", "--name", "x", "--expires", "soon"], /--expires/],
        [["create", "--name", "x", "--color", "red"], /--color/],
        [["create", "--name"], /--name/],
        [["show"], /exactly one key id/],
        [["disable", "a", "b"], /exactly one key id/],
        [["list", "extra"], /no positional argument/],
        [["usage", "--bucket", "week"], /--bucket/],
        [["usage", "--from", "yesterday"], /--from/],
      ];
      for (const [args, message] of cases) {
        const run = await keys(args);
        expect({ args, code: run.code }).toEqual({ args, code: 2 });
        expect(run.stderr).toMatch(message);
      }
      const badStore = await keys(["list"], { STORE: "postgres" });
      expect(badStore.code).toBe(2);
      expect(badStore.stderr).toContain("STORE");

      const unknown = await keys(["show", "key_nope"]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain("key_nope");
      expect((await keys(["--help"])).code).toBe(0);
    },
    timeout,
  );
});

describe("keys CLI on DynamoDB", () => {
  test(
    "STORE=dynamodb: the same commands against DynamoDB Local",
    async () => {
      const local = await startDynamoDbLocal();
      try {
        const env = local.proxyEnv("cli-");
        const created = await keys(["create", "--name", "on dynamo", "--json"], env);
        expect({ code: created.code, stderr: created.code === 0 ? "" : created.stderr }).toEqual({ code: 0, stderr: "" });
        const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
        const rotated = await keys(["rotate", id, "--json"], env);
        const fresh = (JSON.parse(rotated.stdout) as { key: string }).key;
        const store = await local.openStore("cli-");
        try {
          expect(await store.getKeyByHash(hashKey(key))).toBeUndefined();
          expect(await store.getKeyByHash(hashKey(fresh))).toMatchObject({ id, name: "on dynamo" });
        } finally {
          await store.close();
        }
        const listed = await keys(["list"], env);
        expect(listed.stdout).toContain(id);
        expect(listed.stdout).not.toContain(fresh);
      } finally {
        await local.dispose();
      }
    },
    60_000,
  );
});
