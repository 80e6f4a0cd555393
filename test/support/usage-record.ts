import type { UsageRecordInput } from "../../src/gateway/usage/usage-record.ts";

/** A record of key k1 to model-a at 2026-11-03 10:30 UTC, 100 in, 50 out, $0.01. */
export function usageRecord(requestId: string, overrides: Partial<UsageRecordInput> = {}): UsageRecordInput {
  return {
    request_id: requestId,
    key_id: "k1",
    created_at: "2026-11-03T10:30:00.000Z",
    requested_model: "a",
    resolved_model: "model-a",
    input_tokens: 100,
    output_tokens: 50,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
    service_tier: "default",
    time_to_first_token_ms: 120,
    latency_ms: 900.5,
    status: 200,
    error_type: null,
    cost_usd: 0.01,
    ...overrides,
  };
}
