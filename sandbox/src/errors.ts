import type { ServiceErrorEnvelope, ServiceErrorType } from "../../lib/sandbox-api.ts";

/** Errors the API answers with: `{"error": {"type", "message"}}` and a 4xx (5xx only for our own faults). */

const statusByType: Record<ServiceErrorType, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  not_found_error: 404,
  conflict_error: 409,
  request_too_large: 413,
  rate_limit_error: 429,
  overloaded_error: 503,
  api_error: 500,
};

export class ServiceError extends Error {
  override name = "ServiceError";
  readonly status: number;

  constructor(
    readonly type: ServiceErrorType,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = statusByType[type];
  }

  toJSON(): ServiceErrorEnvelope {
    return { error: { type: this.type, message: this.message } };
  }
}

export const sessionNotFound = () => new ServiceError("not_found_error", "session not found");
