/**
 * Shares of the service one client cannot take from the others: sessions per owner (both
 * runtimes), and the host memory bwrap's RAM-backed /work, /tmp and /dev/shm may claim in total.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RUNTIME_KINDS } from "../runtime/runtimes.ts";
import { eventually, type Harness, startHarness } from "./harness.ts";

for (const [index, kind] of RUNTIME_KINDS.entries()) {
  describe(`${kind} runtime: sessions per owner`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(kind, { SANDBOX_MAX_SESSIONS_PER_OWNER: "2", SANDBOX_MAX_SESSIONS: "4", SANDBOX_POOL_SIZE: "0" }, 177_000 + index * 100);
    }, 300_000);
    afterAll(async () => {
      await h.close();
    });

    test("an owner at SANDBOX_MAX_SESSIONS_PER_OWNER gets 429; another owner still gets sessions", async () => {
      const alice = [await h.newSession("alice"), await h.newSession("alice")];
      const refused = await h.call("POST", "/v1/sessions", { owner: "alice" });
      expect(refused.status).toBe(429);
      expect(refused.json.error).toEqual({ type: "rate_limit_error", message: "owner alice has 2 live sessions (limit 2 per owner)" });
      const bob = await h.newSession("bob");
      expect((await h.execute(bob, "print('bob runs')", [], "bob")).stdout).toBe("bob runs\n");
      // A session ended frees the owner's place.
      expect((await h.call("DELETE", `/v1/sessions/${alice[0]}?owner=alice`)).status).toBe(204);
      expect((await h.call("POST", "/v1/sessions", { owner: "alice" })).status).toBe(201);
    }, 60_000);
  });
}

describe("bwrap runtime: RAM-backed file systems", () => {
  let h: Harness;
  beforeAll(async () => {
    // /work, /tmp and /dev/shm of 8 MB each: 24 MB a sandbox, so two fit in 60 MB and a third does not.
    h = await startHarness("bwrap", { SANDBOX_WORK_DIR_MB: "8", SANDBOX_MAX_TMPFS_MB: "60", SANDBOX_POOL_SIZE: "0" }, 177_500);
  }, 300_000);
  afterAll(async () => {
    await h.close();
  });

  test("past SANDBOX_MAX_TMPFS_MB a new session is refused with 503, and a session ended makes room", async () => {
    const first = await h.newSession("alice");
    await h.newSession("bob");
    const refused = await h.call("POST", "/v1/sessions", { owner: "carol" });
    expect(refused.status).toBe(503);
    expect(refused.json.error?.type).toBe("overloaded_error");
    expect(refused.json.error?.message).toContain("SANDBOX_MAX_TMPFS_MB");
    // Both sandboxes are really there (a session is handed out while its sandbox still sets up).
    await eventually(async () => (await h.live()) === 2);
    expect((await h.call("DELETE", `/v1/sessions/${first}?owner=alice`)).status).toBe(204);
    expect((await h.call("POST", "/v1/sessions", { owner: "carol" })).status).toBe(201);
  }, 60_000);
});

test("a SANDBOX_MAX_TMPFS_MB too small for one bwrap sandbox stops start-up, naming it", async () => {
  expect(startHarness("bwrap", { SANDBOX_WORK_DIR_MB: "64", SANDBOX_MAX_TMPFS_MB: "100" }, 177_600)).rejects.toThrow("SANDBOX_MAX_TMPFS_MB=100 leaves no room for one bwrap sandbox (192 MB each)");
});
