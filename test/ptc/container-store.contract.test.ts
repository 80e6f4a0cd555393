import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import Redis from "ioredis";
import type { ContainerRecord, ContainerStore } from "../../src/ptc/containers/container-store.ts";
import { MemoryContainerStore } from "../../src/ptc/containers/memory.ts";
import { RedisContainerStore } from "../../src/ptc/containers/redis.ts";
import { type RedisServer, startRedisServer } from "../support/redis-server.ts";

/** One contract, both stores: what the PTC loop relies on, whichever REDIS_URL chose. */

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const fresh = (owner: string, ms = 60_000): ContainerRecord => ({
  id: `container_${randomUUID()}`,
  owner,
  sessionId: `sess_${randomUUID()}`,
  expiresAt: inMs(ms),
});
const freshOwner = () => `key_${randomUUID()}`;

function containerStoreContract(name: string, open: () => ContainerStore) {
  describe(`${name} container store`, () => {
    let store: ContainerStore;
    beforeAll(() => {
      store = open();
    });
    afterAll(async () => {
      await store.close();
    });

    test("put then get gives the record back; delete removes it", async () => {
      const record = fresh(freshOwner());
      expect(await store.get(record.id)).toBeUndefined();
      await store.put(record);
      expect(await store.get(record.id)).toEqual(record);
      await store.delete(record.id);
      expect(await store.get(record.id)).toBeUndefined();
      await store.delete(record.id);
    });

    test("a paused execution round-trips whole, and put replaces it", async () => {
      const record: ContainerRecord = {
        ...fresh(freshOwner()),
        paused: {
          executionId: "exec_1",
          serverToolUseId: "srvtoolu_1",
          calls: [
            { toolUseId: "toolu_a", callId: "call_1", name: "get_weather" },
            { toolUseId: "toolu_b", callId: "call_2", name: "get-time" },
          ],
          remaining: [{ serverToolUseId: "srvtoolu_2", code: "print('ünïcode ✓')\n" }],
          directCalls: true,
        },
      };
      await store.put(record);
      expect(await store.get(record.id)).toEqual(record);
      const resumed: ContainerRecord = { id: record.id, owner: record.owner, sessionId: record.sessionId, expiresAt: inMs(120_000) };
      await store.put(resumed);
      expect(await store.get(record.id)).toEqual(resumed);
    });

    test("what get returns is the caller's copy: changing it changes nothing stored", async () => {
      const record = fresh(freshOwner());
      await store.put(record);
      const got = await store.get(record.id);
      if (got === undefined) throw new Error("record missing");
      got.sessionId = "changed";
      record.sessionId = "changed too";
      expect((await store.get(record.id))?.sessionId).not.toStartWith("changed");
    });

    test("a record is gone once its expiresAt has passed, and no longer counts", async () => {
      const owner = freshOwner();
      const record = fresh(owner, 400);
      await store.put(record);
      expect(await store.get(record.id)).toEqual(record);
      expect(await store.countLive(owner)).toBe(1);
      await Bun.sleep(800);
      expect(await store.get(record.id)).toBeUndefined();
      expect(await store.countLive(owner)).toBe(0);
    }, 10_000);

    test("a record put with its expiry already past is not kept", async () => {
      const owner = freshOwner();
      const record = { ...fresh(owner), expiresAt: inMs(-1_000) };
      await store.put(record);
      expect(await store.get(record.id)).toBeUndefined();
      expect(await store.countLive(owner)).toBe(0);
    });

    test("countLive counts one owner's live containers: replacing one does not count it twice, deleting one frees it", async () => {
      const owner = freshOwner();
      const other = freshOwner();
      const [a, b] = [fresh(owner), fresh(owner)];
      await store.put(a);
      await store.put(b);
      await store.put({ ...a, expiresAt: inMs(90_000) });
      await store.put(fresh(other));
      expect(await store.countLive(owner)).toBe(2);
      expect(await store.countLive(other)).toBe(1);
      expect(await store.countLive(freshOwner())).toBe(0);
      await store.delete(a.id);
      expect(await store.countLive(owner)).toBe(1);
    });

    test("listLive lists every owner's live containers, soonest expiry first, without expired or deleted ones", async () => {
      const [owner, other] = [freshOwner(), freshOwner()];
      const late = { ...fresh(owner, 90_000), createdAt: inMs(0) };
      const soon = fresh(other, 30_000);
      const [expiring, deleted] = [fresh(owner, 300), fresh(owner)];
      for (const record of [late, soon, expiring, deleted]) await store.put(record);
      await store.delete(deleted.id);
      await Bun.sleep(600);
      // Other tests share the store (and Redis): look at this test's owners only.
      const listed = (await store.listLive()).filter((record) => record.owner === owner || record.owner === other);
      expect(listed).toEqual([soon, late]);
    }, 10_000);
  });
}

let redisServer: RedisServer;
beforeAll(async () => {
  redisServer = await startRedisServer();
}, 15_000);
afterAll(async () => {
  await redisServer.stop();
});

containerStoreContract("memory", () => new MemoryContainerStore());
containerStoreContract("Redis", () => new RedisContainerStore({ url: redisServer.url, commandTimeoutMs: 1_000 }));

describe("Redis container store", () => {
  test("keeps a record and its owner's set no longer than the record lives", async () => {
    const store = new RedisContainerStore({ url: redisServer.url, commandTimeoutMs: 1_000, keyPrefix: "ttl-test:" });
    const redis = new Redis(redisServer.url);
    try {
      const record = fresh(freshOwner(), 30_000);
      await store.put(record);
      for (const key of [`ttl-test:container:${record.id}`, `ttl-test:owner:${record.owner}`]) {
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(25_000);
        expect(ttl).toBeLessThanOrEqual(30_000);
      }
      await store.put(fresh(record.owner, 60_000));
      expect(await redis.pttl(`ttl-test:owner:${record.owner}`)).toBeGreaterThan(55_000);
    } finally {
      redis.disconnect();
      await store.close();
    }
  });

  test("a record another replica put is read by this one", async () => {
    const [one, two] = [0, 1].map(() => new RedisContainerStore({ url: redisServer.url, commandTimeoutMs: 1_000 }));
    if (!one || !two) throw new Error("two stores expected");
    const record = fresh(freshOwner());
    await one.put(record);
    expect(await two.get(record.id)).toEqual(record);
    expect(await two.countLive(record.owner)).toBe(1);
    await Promise.all([one.close(), two.close()]);
  });
});
