import { describe, expect, test } from "bun:test";
import { isBedrockIdentifier, toBedrockIdentifier } from "../../../src/bedrock/converse/identifiers.ts";
import { ToolNameMap } from "../../../src/bedrock/converse/tool-names.ts";

describe("Bedrock identifiers", () => {
  test("legal values pass verbatim (Bedrock and Anthropic ids alike)", () => {
    for (const id of ["tooluse_W9DaUFg4Tj2cRPpndqxWSg", "toolu_01A09q90qw90lq917835lq9", "toolu_bdrk_01X", "a", "x".repeat(64)]) {
      expect(toBedrockIdentifier(id)).toBe(id);
    }
  });

  test("illegal values become legal, deterministically and without collisions", () => {
    const inputs = ["a.b", "a/b", "a b", "x".repeat(65), "x".repeat(66), "ünï", "call:1"];
    const outputs = inputs.map(toBedrockIdentifier);
    for (const output of outputs) expect(isBedrockIdentifier(output)).toBe(true);
    expect(new Set(outputs).size).toBe(inputs.length);
    expect(inputs.map(toBedrockIdentifier)).toEqual(outputs);
  });
});

describe("ToolNameMap", () => {
  test("maps both ways and is stable", () => {
    const map = new ToolNameMap();
    const bedrock = map.toBedrock("server.tool");
    expect(map.toBedrock("server.tool")).toBe(bedrock);
    expect(map.toClient(bedrock)).toBe("server.tool");
    expect(map.renamed()).toEqual([["server.tool", bedrock]]);
  });

  test("a legal name equal to another's renamed form does not steal it", () => {
    const map = new ToolNameMap();
    const renamed = map.toBedrock("odd.name");
    const squatter = map.toBedrock(renamed);
    expect(squatter).not.toBe(renamed);
    expect(isBedrockIdentifier(squatter)).toBe(true);
    expect(map.toClient(renamed)).toBe("odd.name");
    expect(map.toClient(squatter)).toBe(renamed);
  });
});
