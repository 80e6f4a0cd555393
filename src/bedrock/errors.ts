import { ApiError, type ErrorType } from "../anthropic/errors.ts";
import { ownEntry } from "../own-entry.ts";

/**
 * Bedrock's exceptions (thrown by the AWS SDK before a stream, or while iterating one) as Anthropic
 * errors, from one table. Bedrock's own message is kept: it is what tells a user what went wrong.
 */

const byName: Record<string, ErrorType> = {
  ThrottlingException: "rate_limit_error",
  ServiceQuotaExceededException: "rate_limit_error",
  TooManyRequestsException: "rate_limit_error",
  ServiceUnavailableException: "overloaded_error",
  ModelNotReadyException: "overloaded_error",
  ModelTimeoutException: "timeout_error",
  ValidationException: "invalid_request_error",
  AccessDeniedException: "permission_error",
  UnrecognizedClientException: "permission_error",
  ResourceNotFoundException: "not_found_error",
  ModelErrorException: "api_error",
  ModelStreamErrorException: "api_error",
  InternalServerException: "api_error",
};

/** Seconds a throttled client is told to wait; Bedrock itself sends no retry-after. */
const throttledRetryAfterSeconds = 1;

interface AwsLikeError {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
}

export function fromBedrockError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const { name, message, status } = describe(error);
  const type = ownEntry(byName, name) ?? typeFromStatus(status) ?? fallbackType(name);
  const retryAfterSeconds = type === "rate_limit_error" ? throttledRetryAfterSeconds : undefined;
  return new ApiError(type, message || name, { retryAfterSeconds, cause: error });
}

function describe(error: unknown): { name: string; message: string; status: number | undefined } {
  if (typeof error !== "object" || error === null) return { name: "Error", message: String(error), status: undefined };
  const e = error as AwsLikeError;
  const name = typeof e.name === "string" ? e.name : "Error";
  const message = typeof e.message === "string" ? e.message : "";
  return { name, message, status: e.$metadata?.httpStatusCode };
}

function typeFromStatus(status: number | undefined): ErrorType | undefined {
  if (status === undefined) return undefined;
  if (status === 429) return "rate_limit_error";
  if (status === 503) return "overloaded_error";
  if (status === 400) return "invalid_request_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status >= 500) return "api_error";
  return undefined;
}

function fallbackType(name: string): ErrorType {
  return name === "TimeoutError" ? "timeout_error" : "api_error";
}

/**
 * The name an upstream failure is counted under (metrics): Bedrock's exception name when it is one of
 * the table's, else the Anthropic type (the proxy's own timeouts, network failures), so the names stay few.
 */
export function bedrockErrorName(error: ApiError): string {
  const { name } = describe(error.cause);
  return Object.hasOwn(byName, name) ? name : error.type;
}

/** Throttling and server-side faults may succeed on another attempt; a client's mistake never will. */
export function isRetryable(error: ApiError): boolean {
  return error.type === "rate_limit_error" || error.type === "overloaded_error" || error.type === "api_error";
}
