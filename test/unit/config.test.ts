import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config.ts";

describe("configuration", () => {
  test("defaults hold on an empty environment", () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(8080);
    expect(config.AWS_REGION).toBe("us-east-1");
    expect(config.MASTER_API_KEY).toBeUndefined();
    expect(config.UPSTREAM_MAX_RETRIES).toBe(2);
  });

  test("a wrong value stops start-up with a message naming the variable", () => {
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(/PORT/);
    expect(() => loadConfig({ LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ BEDROCK_ENDPOINT: "not a url" })).toThrow(/BEDROCK_ENDPOINT/);
    expect(() => loadConfig({ MASTER_API_KEY: "short" })).toThrow(/MASTER_API_KEY/);
    expect(() => loadConfig({ UPSTREAM_MAX_RETRIES: "-1" })).toThrow(/UPSTREAM_MAX_RETRIES/);
    expect(() => loadConfig({ MIMALLOC_PURGE_DELAY: "-2" })).toThrow(/MIMALLOC_PURGE_DELAY/);
  });

  test("MIMALLOC_PURGE_DELAY keeps freed memory (-1) unless a delay in ms is given", () => {
    expect(loadConfig({}).MIMALLOC_PURGE_DELAY).toBe(-1);
    expect(loadConfig({ MIMALLOC_PURGE_DELAY: "250" }).MIMALLOC_PURGE_DELAY).toBe(250);
  });

  test("CORS_ORIGINS takes * or origins; anything else stops start-up naming the entry", () => {
    expect(loadConfig({}).CORS_ORIGINS).toBeUndefined();
    expect(loadConfig({ CORS_ORIGINS: "*" }).CORS_ORIGINS).toBe("*");
    expect(loadConfig({ CORS_ORIGINS: "https://app.example, http://localhost:5173" }).CORS_ORIGINS).toEqual(["https://app.example", "http://localhost:5173"]);
    expect(() => loadConfig({ CORS_ORIGINS: "https://app.example/" })).toThrow(/CORS_ORIGINS: .*not an origin: https:\/\/app\.example\//);
    expect(() => loadConfig({ CORS_ORIGINS: "app.example" })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ CORS_ORIGINS: "*, https://app.example" })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ CORS_ORIGINS: "," })).toThrow(/CORS_ORIGINS/);
  });

  test("DEFAULT_RPM and DEFAULT_TPM are unset unless given; DEFAULT_SERVICE_TIER is a tier", () => {
    expect(loadConfig({})).toMatchObject({ DEFAULT_SERVICE_TIER: "default" });
    expect(loadConfig({}).DEFAULT_RPM).toBeUndefined();
    expect(loadConfig({ DEFAULT_RPM: "60", DEFAULT_TPM: "100000" })).toMatchObject({ DEFAULT_RPM: 60, DEFAULT_TPM: 100_000 });
    expect(() => loadConfig({ DEFAULT_RPM: "0" })).toThrow(/DEFAULT_RPM/);
    expect(() => loadConfig({ DEFAULT_SERVICE_TIER: "gold" })).toThrow(/DEFAULT_SERVICE_TIER/);
  });

  test("MODEL_MAP takes JSON", () => {
    const config = loadConfig({ MODEL_MAP: '{"fast": "qwen.qwen3-coder-480b-a35b-v1:0"}' });
    expect(config.MODEL_MAP).toEqual({ fast: "qwen.qwen3-coder-480b-a35b-v1:0" });
  });

  test("MODEL_MAP takes the path of a JSON file", () => {
    const path = join(mkdtempSync(join(tmpdir(), "abp-")), "map.json");
    writeFileSync(path, '{"big": "deepseek.r1-v1:0"}');
    expect(loadConfig({ MODEL_MAP: path }).MODEL_MAP).toEqual({ big: "deepseek.r1-v1:0" });
  });

  test("a model id that is a path segment stops start-up, in MODEL_MAP and the family defaults", () => {
    expect(() => loadConfig({ MODEL_MAP: '{"up": ".."}' })).toThrow(/MODEL_MAP/);
    expect(() => loadConfig({ DEFAULT_SONNET_MODEL: "." })).toThrow(/DEFAULT_SONNET_MODEL/);
  });

  test("a MODEL_MAP that is neither JSON nor a file is named", () => {
    expect(() => loadConfig({ MODEL_MAP: "/no/such/file.json" })).toThrow(/MODEL_MAP/);
    expect(() => loadConfig({ MODEL_MAP: '{"a": 1}' })).toThrow(/MODEL_MAP/);
  });

  test("empty variables count as unset", () => {
    expect(loadConfig({ PORT: "" }).PORT).toBe(8080);
  });

  test("SANDBOX_URL and SANDBOX_TOKEN turn PTC on together; one without the other stops start-up naming the missing one", () => {
    expect(loadConfig({})).toMatchObject({ PTC_MAX_MODEL_CALLS: 10, PTC_MAX_CONTAINERS_PER_KEY: 5, SANDBOX_REQUEST_TIMEOUT_MS: 75_000 });
    expect(loadConfig({}).SANDBOX_URL).toBeUndefined();
    const on = loadConfig({ SANDBOX_URL: "http://127.0.0.1:8090", SANDBOX_TOKEN: "secret", PTC_MAX_MODEL_CALLS: "3", PTC_MAX_CONTAINERS_PER_KEY: "2" });
    expect(on).toMatchObject({ SANDBOX_URL: "http://127.0.0.1:8090", SANDBOX_TOKEN: "secret", PTC_MAX_MODEL_CALLS: 3, PTC_MAX_CONTAINERS_PER_KEY: 2 });
    expect(() => loadConfig({ SANDBOX_URL: "http://127.0.0.1:8090" })).toThrow(/SANDBOX_TOKEN: is required with SANDBOX_URL/);
    expect(() => loadConfig({ SANDBOX_TOKEN: "secret" })).toThrow(/SANDBOX_URL: is required with SANDBOX_TOKEN/);
    expect(() => loadConfig({ SANDBOX_URL: "sandbox:8090", SANDBOX_TOKEN: "secret" })).toThrow(/SANDBOX_URL/);
    expect(() => loadConfig({ PTC_MAX_MODEL_CALLS: "0" })).toThrow(/PTC_MAX_MODEL_CALLS/);
    expect(() => loadConfig({ PTC_MAX_CONTAINERS_PER_KEY: "many" })).toThrow(/PTC_MAX_CONTAINERS_PER_KEY/);
  });
});
