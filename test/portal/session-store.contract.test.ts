import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import Redis from "ioredis";
import { AdminSessions } from "../../src/portal/auth/admin-sessions.ts";
import { MemorySessionStore } from "../../src/portal/auth/memory-session-store.ts";
import { RedisSessionStore } from "../../src/portal/auth/redis-session-store.ts";
import type { AdminSession, PendingSignIn, SessionStore } from "../../src/portal/auth/session-store.ts";
import { type RedisServer, startRedisServer } from "../support/redis-server.ts";

/** One contract, both stores: what admin sign-in relies on, whichever REDIS_URL chose. */

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const session = (ms = 60_000): AdminSession => ({
  kind: "session",
  id: randomUUID(),
  actor: { via: "oidc", subject: "user-1", email: "ada@example.com", name: "Ada ✓" },
  csrfToken: randomUUID(),
  expiresAt: inMs(ms),
  idleExpiresAt: inMs(ms),
});
const signIn = (): PendingSignIn => ({ kind: "sign-in", id: randomUUID(), state: "s", nonce: "n", codeVerifier: "v", returnTo: "/admin/keys", expiresAt: inMs(60_000) });

function sessionStoreContract(name: string, open: () => SessionStore) {
  describe(`${name} admin session store`, () => {
    let store: SessionStore;
    beforeAll(() => {
      store = open();
    });
    afterAll(async () => {
      await store.close();
    });

    test("put then get gives either kind of record back whole; delete removes it", async () => {
      for (const record of [session(), signIn(), { ...session(), actor: { via: "master-key" as const } }]) {
        expect(await store.get(record.id)).toBeUndefined();
        await store.put(record);
        expect(await store.get(record.id)).toEqual(record);
        await store.delete(record.id);
        expect(await store.get(record.id)).toBeUndefined();
        await store.delete(record.id);
      }
    });

    test("put replaces a record", async () => {
      const record = session();
      await store.put(record);
      const replaced = { ...record, csrfToken: "another", expiresAt: inMs(120_000) };
      await store.put(replaced);
      expect(await store.get(record.id)).toEqual(replaced);
    });

    test("refresh replaces a stored record, and does nothing once it is gone: a sign-out is never undone", async () => {
      const record = session();
      await store.refresh(record);
      expect(await store.get(record.id)).toBeUndefined();
      await store.put(record);
      const touched = { ...record, idleExpiresAt: inMs(30_000) };
      await store.refresh(touched);
      expect(await store.get(record.id)).toEqual(touched);
      await store.delete(record.id);
      await store.refresh(touched);
      expect(await store.get(record.id)).toBeUndefined();
    });

    test("a record is gone once its expiresAt has passed", async () => {
      const record = session(400);
      await store.put(record);
      expect(await store.get(record.id)).toEqual(record);
      await Bun.sleep(800);
      expect(await store.get(record.id)).toBeUndefined();
    }, 10_000);

    test("a record put with its expiry already past is not kept", async () => {
      const record = session(-1_000);
      await store.put(record);
      expect(await store.get(record.id)).toBeUndefined();
    });

    test("AdminSessions over it: the token finds its session, sign-out ends it, a sign-in record is used once", async () => {
      const sessions = new AdminSessions(store, { ttlMs: 60_000, idleMs: 60_000 });
      const { token, session: started } = await sessions.start({ via: "master-key" });
      expect(await sessions.find(token)).toEqual(started);
      // The store keys the token's digest: the token itself opens nothing stored under it.
      expect(await store.get(token)).toBeUndefined();
      expect(await sessions.find(`${token}x`)).toBeUndefined();
      await sessions.end(token);
      expect(await sessions.find(token)).toBeUndefined();

      const pending = { state: "st", nonce: "no", codeVerifier: "cv", returnTo: "/admin/" };
      const signInToken = await sessions.beginSignIn(pending);
      // A sign-in record is no session, whatever cookie carries its token.
      expect(await sessions.find(signInToken)).toBeUndefined();
      expect(await sessions.takeSignIn(signInToken)).toMatchObject({ kind: "sign-in", ...pending });
      expect(await sessions.takeSignIn(signInToken)).toBeUndefined();
      expect(await sessions.takeSignIn(token)).toBeUndefined();
    });
  });
}

let redisServer: RedisServer;
beforeAll(async () => {
  redisServer = await startRedisServer();
}, 15_000);
afterAll(async () => {
  await redisServer.stop();
});

sessionStoreContract("memory", () => new MemorySessionStore());
sessionStoreContract("Redis", () => new RedisSessionStore({ url: redisServer.url, commandTimeoutMs: 1_000 }));

describe("Redis admin session store", () => {
  test("a session started on one replica is found on another, and signing out on the second ends it on the first", async () => {
    const [one, two] = [0, 1].map(() => new AdminSessions(new RedisSessionStore({ url: redisServer.url, commandTimeoutMs: 1_000 }), { ttlMs: 60_000, idleMs: 60_000 }));
    if (!one || !two) throw new Error("two replicas expected");
    try {
      const { token, session: started } = await one.start({ via: "oidc", subject: "abc" });
      expect(await two.find(token)).toEqual(started);
      await two.end(token);
      expect(await one.find(token)).toBeUndefined();
    } finally {
      await one.close();
      await two.close();
    }
  });

  test("Redis keeps a record no longer than it lives, under the digest of the token", async () => {
    const store = new RedisSessionStore({ url: redisServer.url, commandTimeoutMs: 1_000, keyPrefix: "ttl-test:" });
    const redis = new Redis(redisServer.url);
    try {
      const { token } = await new AdminSessions(store, { ttlMs: 30_000, idleMs: 30_000 }).start({ via: "master-key" });
      const keys = await redis.keys("ttl-test:*");
      expect(keys).toHaveLength(1);
      expect(keys[0]).not.toContain(token);
      const ttl = await redis.pttl(keys[0] ?? "");
      expect(ttl).toBeGreaterThan(25_000);
      expect(ttl).toBeLessThanOrEqual(30_000);
    } finally {
      redis.disconnect();
      await store.close();
    }
  });
});

describe("AdminSessions", () => {
  const hour = 3_600_000;
  const minute = 60_000;
  function clocked() {
    const clock = { now: Date.parse("2026-11-27T12:00:00Z") };
    const store = new MemorySessionStore(() => clock.now);
    const writes = { count: 0 };
    const counted: SessionStore = {
      get: (id) => store.get(id),
      put: (record) => store.put(record),
      refresh: (record) => {
        writes.count++;
        return store.refresh(record);
      },
      delete: (id) => store.delete(id),
      close: () => store.close(),
    };
    return { clock, writes, sessions: new AdminSessions(counted, { ttlMs: 8 * hour, idleMs: hour, now: () => clock.now }) };
  }

  test("a session used all along still ends ADMIN_SESSION_TTL_S after sign-in", async () => {
    const { clock, sessions } = clocked();
    const { token } = await sessions.start({ via: "master-key" });
    for (let used = 0; used < 8 * 2 - 1; used++) {
      clock.now += 30 * minute;
      expect(await sessions.find(token)).toBeDefined();
    }
    clock.now += 30 * minute;
    expect(await sessions.find(token)).toBeUndefined();
  });

  test("a session unused for ADMIN_SESSION_IDLE_S ends; its last use is written at most once a minute", async () => {
    const { clock, writes, sessions } = clocked();
    const { token } = await sessions.start({ via: "master-key" });
    clock.now += hour - 1;
    expect(await sessions.find(token)).toBeDefined();
    expect(writes.count).toBe(1);
    for (let i = 0; i < 10; i++) {
      clock.now += 1_000;
      expect(await sessions.find(token)).toBeDefined();
    }
    expect(writes.count).toBe(1);
    // Idle from the last use written (10 s ago): just within the hour.
    clock.now += hour - 20_000;
    expect(await sessions.find(token)).toBeDefined();
    expect(writes.count).toBe(2);
    clock.now += hour;
    expect(await sessions.find(token)).toBeUndefined();
  });
});
