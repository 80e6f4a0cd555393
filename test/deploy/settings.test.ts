import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { proxyModelDefaults, readSettings, type Settings } from "../../deploy/lib/settings.ts";
import { configSchema } from "../../src/config.ts";

/** The deployment's settings: their defaults are the proxy's and deploy/README.md's, and mistakes stop synth. */

const contextOf = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key] });
const defaults = readSettings(contextOf({}));

/** The README's settings table: name → default as written (`—` for none). */
function readmeTable(): Map<string, string> {
  const text = readFileSync(path.resolve(import.meta.dir, "../../deploy/README.md"), "utf8");
  const rows = text.matchAll(/^\| `(\w+)` \| (`[^`]*`|—) \|/gm);
  return new Map(Array.from(rows, (row) => [row[1] ?? "", (row[2] ?? "").replaceAll("`", "")]));
}

function written(value: Settings[keyof Settings]): string {
  if (value === undefined) return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

describe("settings", () => {
  test("the model defaults are the proxy's own", () => {
    const proxy = configSchema.parse({});
    expect(proxyModelDefaults).toEqual({ opusModel: proxy.DEFAULT_OPUS_MODEL, sonnetModel: proxy.DEFAULT_SONNET_MODEL, haikuModel: proxy.DEFAULT_HAIKU_MODEL });
  });

  test("deploy/README.md lists every setting with its default", () => {
    const table = readmeTable();
    expect([...table.keys()].sort()).toEqual(Object.keys(defaults).sort());
    for (const [name, value] of Object.entries(defaults)) expect([name, table.get(name)]).toEqual([name, written(value)]);
  });

  test("values from the command line (strings) and from cdk.json (JSON) read alike", () => {
    const fromCli = readSettings(contextOf({ proxyMinTasks: "3", sandbox: "false", modelMap: '{"a":"b.c"}' }));
    const fromJson = readSettings(contextOf({ proxyMinTasks: 3, sandbox: false, modelMap: { a: "b.c" } }));
    expect(fromCli).toEqual(fromJson);
    expect(fromCli).toMatchObject({ proxyMinTasks: 3, sandbox: false, modelMap: { a: "b.c" } });
  });

  test.each([
    ["proxyMinTasks", { proxyMinTasks: "1" }, "proxyMinTasks must be a whole number, at least 2"],
    ["proxyMaxTasks", { proxyMaxTasks: "2", proxyMinTasks: "3" }, "proxyMaxTasks must be at least proxyMinTasks"],
    ["retainData", { retainData: "yes please" }, "retainData must be true or false"],
    ["modelMap", { modelMap: "[1]" }, "modelMap must be a JSON object"],
    ["proxyEnvironment", { proxyEnvironment: '{"MASTER_API_KEY": "sk-0123456789abcdef"}' }, "proxyEnvironment may not set MASTER_API_KEY"],
    ["cognito", { cognito: "true", cognitoDomainPrefix: "x" }, "cognito needs certificateArn and domainName"],
    ["cognitoDomainPrefix", { cognito: "true", certificateArn: "arn:aws:acm:us-east-1:1:certificate/x", domainName: "gw.example.com" }, "cognito needs cognitoDomainPrefix"],
  ])("%s is refused before anything is synthesised", (_, values, message) => {
    expect(() => readSettings(contextOf(values))).toThrow(message);
  });
});
