/** Bedrock's validation rules, asserted on the JSON body we would send (docs/bedrock-protocol.md#converse-every-other-model and #pitfalls). */
import { expect } from "bun:test";

type Json = Record<string, unknown>;
const identifier = /^[a-zA-Z0-9_-]{1,64}$/;
const asArray = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);

export function expectBedrockRules(body: Json, options: { cachePoints: number }): void {
  const messages = asArray(body["messages"]);
  expect(messages.length).toBeGreaterThan(0);
  messages.forEach((message, i) => {
    expect(message["role"]).toBe(i % 2 === 0 ? "user" : "assistant"); // starts with user, alternates
    expect(asArray(message["content"]).length).toBeGreaterThan(0);
  });

  const system = asArray(body["system"]);
  const tools = asArray((body["toolConfig"] as Json | undefined)?.["tools"]);
  const blocks = messages.flatMap((message) => asArray(message["content"]));
  const nested = blocks.flatMap((block) => asArray((block["toolResult"] as Json | undefined)?.["content"]));
  for (const block of [...system, ...blocks, ...nested]) {
    if ("text" in block) expect(String(block["text"]).trim()).not.toBe("");
    expect(Object.keys(block)).toHaveLength(1); // exactly one union member
  }

  const declared = new Set(tools.flatMap((tool) => ((tool["toolSpec"] as Json | undefined)?.["name"] as string | undefined) ?? []));
  for (const name of declared) expect(name).toMatch(identifier);
  const toolBlocks = blocks.filter((block) => block["toolUse"] || block["toolResult"]);
  if (toolBlocks.length > 0) expect(declared.size).toBeGreaterThan(0); // docs/bedrock-protocol.md#p4-tool-config
  for (const block of toolBlocks) {
    const toolUse = block["toolUse"] as Json | undefined;
    const id = (toolUse ?? (block["toolResult"] as Json))["toolUseId"];
    expect(id).toMatch(identifier);
    if (toolUse) expect(declared.has(toolUse["name"] as string)).toBe(true);
  }

  messages.forEach((message, i) => {
    const uses = asArray(message["content"]).flatMap((block) => ((block["toolUse"] as Json | undefined)?.["toolUseId"] as string | undefined) ?? []);
    const answered = new Set(asArray(messages[i + 1]?.["content"]).flatMap((block) => ((block["toolResult"] as Json | undefined)?.["toolUseId"] as string | undefined) ?? []));
    for (const id of uses) expect(answered.has(id)).toBe(true); // docs/bedrock-protocol.md#p5-tool-result-pairing
    const content = asArray(message["content"]);
    if (content.some((block) => block["document"])) expect(content.some((block) => "text" in block)).toBe(true);
  });

  let cachePoints = 0;
  for (const list of [system, tools, ...messages.map((message) => asArray(message["content"]))]) {
    list.forEach((block, i) => {
      if (!block["cachePoint"]) return;
      cachePoints += 1;
      expect(i).toBeGreaterThan(0);
      expect(list[i - 1]?.["cachePoint"]).toBeUndefined();
    });
  }
  expect(cachePoints).toBe(options.cachePoints);
  expect(cachePoints).toBeLessThanOrEqual(4);
}

/** How many cache_control markers an Anthropic request carries (each must become one cachePoint). */
export function countCacheControl(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + countCacheControl(item), 0);
  if (typeof value !== "object" || value === null) return 0;
  return Object.entries(value).reduce((sum, [key, item]) => sum + (key === "cache_control" && item ? 1 : countCacheControl(item)), 0);
}
