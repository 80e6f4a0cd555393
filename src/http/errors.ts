import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError, type ErrorType, errorEnvelope, errorStatus, toApiError } from "../anthropic/errors.ts";
import { RateLimitError } from "../gateway/gateway.ts";
import { renderRateLimitHeaders } from "../gateway/rate-limit/types.ts";
import type { AppEnv } from "./env.ts";

/** The one place an error becomes a response: the Anthropic envelope, its status, and retry-after. */
export function renderError(error: unknown, c: Context<AppEnv>): Response {
  const apiError = error instanceof HTTPException ? fromHttpException(error) : toApiError(error);
  const log = c.get("log");
  if (apiError.status >= 500) log?.error("request failed", { type: apiError.type, error: apiError.cause ?? apiError });
  else log?.debug("request refused", { type: apiError.type, message: apiError.message });
  const headers: Record<string, string> = apiError instanceof RateLimitError ? renderRateLimitHeaders(apiError.admission) : {};
  if (apiError.retryAfterSeconds !== undefined) headers["retry-after"] = String(apiError.retryAfterSeconds);
  return c.json(errorEnvelope(apiError, c.get("requestId") ?? "unknown"), apiError.status as 400, headers);
}

const typeByStatus = new Map<number, ErrorType>(Object.entries(errorStatus).map(([type, status]) => [status, type as ErrorType]));

/** Hono's own errors (malformed JSON, body limits) carry a status; keep it and give it its Anthropic type. */
function fromHttpException(error: HTTPException): ApiError {
  const type = typeByStatus.get(error.status) ?? (error.status >= 500 ? "api_error" : "invalid_request_error");
  return new ApiError(type, error.message || "Invalid request", { cause: error });
}

export function notFound(c: Context<AppEnv>): Response {
  return renderError(new ApiError("not_found_error", `Not found: ${c.req.method} ${c.req.path}`), c);
}
