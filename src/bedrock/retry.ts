import type { ApiError } from "../anthropic/errors.ts";
import { sleep } from "../../lib/sleep.ts";
import { fromBedrockError, isRetryable } from "./errors.ts";

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
}

/**
 * Runs an upstream call, retrying throttling and 5xx with full-jitter exponential backoff.
 * Callers wrap only what happens before the first byte reaches the client: after that a retry
 * would send the client a second answer.
 */
export async function withRetry<T>(attempt: () => Promise<T>, policy: RetryPolicy, signal: AbortSignal, onRetry?: (error: ApiError, attempt: number) => void): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (thrown) {
      const error = fromBedrockError(thrown);
      if (n >= policy.maxRetries || !isRetryable(error) || signal.aborted) throw error;
      onRetry?.(error, n + 1);
      await sleep(Math.random() * policy.baseDelayMs * 2 ** n, signal);
    }
  }
}
