import { describe, expect, test } from "bun:test";
import { acceptedBetas, mapBetas, parseBetaHeader } from "../../src/bedrock/betas.ts";

const claudeCodeBetas = parseBetaHeader(
  "claude-code-20250219,context-1m-2025-08-07,interleaved-thinking-2025-05-14,thinking-token-count-2026-05-13,context-management-2025-06-27,prompt-caching-scope-2026-01-05,mid-conversation-system-2026-04-07,effort-2025-11-24",
);

describe("beta mapping", () => {
  test("the header is split, trimmed and cleaned", () => {
    expect(parseBetaHeader(" a , b,,c ")).toEqual(["a", "b", "c"]);
    expect(parseBetaHeader(undefined)).toEqual([]);
  });

  test("what Bedrock knows passes, what it does not is dropped", () => {
    const { forwarded, dropped } = mapBetas(claudeCodeBetas, "global.anthropic.claude-sonnet-4-5-20250929-v1:0");
    expect(forwarded).toEqual(["context-1m-2025-08-07", "interleaved-thinking-2025-05-14", "context-management-2025-06-27"]);
    expect(dropped).toEqual(["claude-code-20250219", "thinking-token-count-2026-05-13", "prompt-caching-scope-2026-01-05", "mid-conversation-system-2026-04-07", "effort-2025-11-24"]);
  });

  test("Claude Code 2.1.332's header: its new Anthropic-only betas are dropped, advanced-tool-use becomes Bedrock's two", () => {
    const header = "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,per-turn-control-2026-07-01,mid-conversation-tool-changes-2026-07-01,thinking-token-count-2026-05-13,advanced-tool-use-2025-11-20,effort-2025-11-24";
    const { forwarded, dropped } = mapBetas(parseBetaHeader(header), "global.anthropic.claude-opus-4-6-v1");
    expect(forwarded).toEqual(["interleaved-thinking-2025-05-14", "context-management-2025-06-27", "tool-examples-2025-10-29", "tool-search-tool-2025-10-19", "effort-2025-11-24"]);
    expect(dropped).toEqual(["claude-code-20250219", "per-turn-control-2026-07-01", "mid-conversation-tool-changes-2026-07-01", "thinking-token-count-2026-05-13"]);
  });

  test("every forwarded beta is one Bedrock accepts for that model", () => {
    for (const model of ["global.anthropic.claude-opus-4-6-v1", "global.anthropic.claude-haiku-4-5-20251001-v1:0", "us.anthropic.claude-3-7-sonnet-20250219-v1:0"]) {
      const accepted = acceptedBetas(model);
      for (const beta of mapBetas(claudeCodeBetas, model).forwarded) expect(accepted.has(beta)).toBe(true);
    }
  });

  test("advanced-tool-use is renamed to Bedrock's tool-examples beta where the model has it", () => {
    expect(mapBetas(["advanced-tool-use-2025-11-20"], "global.anthropic.claude-opus-4-5-20251101-v1:0").forwarded).toContain("tool-examples-2025-10-29");
    expect(mapBetas(["advanced-tool-use-2025-11-20"], "global.anthropic.claude-haiku-4-5-20251001-v1:0")).toEqual({ forwarded: [], dropped: ["advanced-tool-use-2025-11-20"] });
  });

  test("duplicates are sent once", () => {
    expect(mapBetas(["context-1m-2025-08-07", "context-1m-2025-08-07"], "global.anthropic.claude-sonnet-4-5-20250929-v1:0").forwarded).toEqual(["context-1m-2025-08-07"]);
  });
});
