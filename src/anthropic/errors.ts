/**
 * Errors as values: one table maps each Anthropic error type to its HTTP status,
 * and the HTTP layer renders every ApiError once, as the Anthropic envelope.
 */

export const errorStatus = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
} as const;

export type ErrorType = keyof typeof errorStatus;

export class ApiError extends Error {
  override name = "ApiError";
  readonly type: ErrorType;
  readonly status: number;
  /** Seconds the client should wait before retrying (rendered as `retry-after`). */
  readonly retryAfterSeconds: number | undefined;
  /** Machine-readable detail the SDKs act on (`error.details`), e.g. `{error_code: "thread_not_found"}`. */
  readonly details: Record<string, unknown> | undefined;

  constructor(type: ErrorType, message: string, options: { retryAfterSeconds?: number; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.type = type;
    this.status = errorStatus[type];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details;
  }
}

export const invalidRequest = (message: string) => new ApiError("invalid_request_error", message);

export interface ErrorEnvelope {
  type: "error";
  error: { type: ErrorType; message: string; details?: Record<string, unknown> };
  request_id: string;
}

export function errorEnvelope(error: ApiError, requestId: string): ErrorEnvelope {
  const details = error.details && { details: error.details };
  return { type: "error", error: { type: error.type, message: error.message, ...details }, request_id: requestId };
}

/** Any thrown value as an ApiError; what we did not anticipate is an api_error, its detail kept for the log. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError("api_error", "Internal server error", { cause: error });
}
