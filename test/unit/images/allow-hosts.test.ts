import { describe, expect, test } from "bun:test";
import { type AllowHosts, parseAllowHosts } from "../../../src/bedrock/images/allow-hosts.ts";
import { loadConfig } from "../../../src/config.ts";

function hosts(raw: string): AllowHosts {
  const parsed = parseAllowHosts(raw);
  if (!("hosts" in parsed)) throw new Error(`refused ${parsed.invalid}`);
  return parsed.hosts;
}

describe("IMAGE_FETCH_ALLOW_HOSTS", () => {
  test("empty: nothing beyond public addresses", () => {
    expect(hosts("").allows("images.internal", "10.0.0.5")).toBe(false);
    expect(hosts(" , ").allows("127.0.0.1", "127.0.0.1")).toBe(false);
  });

  test("an address or CIDR block matches the address connected to, whatever the name", () => {
    const allow = hosts("10.20.0.0/16, 192.168.1.7, fd12:3456::/32");
    expect(allow.allows("images.internal", "10.20.3.4")).toBe(true);
    expect(allow.allows("anything", "192.168.1.7")).toBe(true);
    expect(allow.allows("x", "fd12:3456::9")).toBe(true);
    expect(allow.allows("x", "::ffff:10.20.0.1")).toBe(true);
    expect(allow.allows("images.internal", "10.21.0.1")).toBe(false);
    expect(allow.allows("x", "192.168.1.8")).toBe(false);
    expect(allow.allows("x", "fd12:3457::1")).toBe(false);
    expect(allow.allows("10.20.0.0", "127.0.0.1")).toBe(false);
  });

  test("a host name matches that host exactly, case and a trailing dot aside", () => {
    const allow = hosts("Images.Internal");
    expect(allow.allows("images.internal", "10.0.0.5")).toBe(true);
    expect(allow.allows("IMAGES.internal.", "10.0.0.5")).toBe(true);
    expect(allow.allows("cdn.images.internal", "10.0.0.5")).toBe(false);
    expect(allow.allows("images.internal.evil.example", "10.0.0.5")).toBe(false);
    expect(allow.allows("evilimages.internal", "10.0.0.5")).toBe(false);
  });

  test("*.domain matches hosts under the domain, not the domain itself", () => {
    const allow = hosts("*.corp.example");
    expect(allow.allows("img.corp.example", "10.0.0.5")).toBe(true);
    expect(allow.allows("a.b.corp.example.", "10.0.0.5")).toBe(true);
    expect(allow.allows("corp.example", "10.0.0.5")).toBe(false);
    expect(allow.allows("evilcorp.example", "10.0.0.5")).toBe(false);
    expect(allow.allows("corp.example.evil", "10.0.0.5")).toBe(false);
  });

  test.each(["*", "*.*", "img*.corp", "http://x", "10.0.0.0/33", "a b", "x/8", "1.2.3.4.5", "-bad.example"])("%p stops start-up, naming the entry", (entry) => {
    expect(parseAllowHosts(`ok.example,${entry}`)).toEqual({ invalid: entry.toLowerCase() });
    expect(() => loadConfig({ IMAGE_FETCH_ALLOW_HOSTS: entry })).toThrow(/IMAGE_FETCH_ALLOW_HOSTS/);
  });

  test("IMAGE_FETCH is on or off", () => {
    expect(loadConfig({}).IMAGE_FETCH).toBe("on");
    expect(loadConfig({ IMAGE_FETCH: "off" }).IMAGE_FETCH).toBe("off");
    expect(() => loadConfig({ IMAGE_FETCH: "maybe" })).toThrow(/IMAGE_FETCH/);
  });
});
