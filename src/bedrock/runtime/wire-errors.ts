import { loadRestJsonErrorCode } from "@smithy/core/protocols";

/**
 * Bedrock's refusals read as the AWS SDK reads them, so that `fromBedrockError` maps them from one
 * table whichever path made the call: the name from `x-amzn-ErrorType` (else the body's `code` or
 * `__type`), stripped of its `:namespace` suffix; the body's `message`; the HTTP status.
 */
export class BedrockServiceError extends Error {
  readonly $metadata: { httpStatusCode?: number };

  /** `status` is undefined for an exception inside a stream, which came with a 200. */
  constructor(name: string, message: string, status?: number) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode: status };
  }
}

export async function errorFromResponse(response: Response): Promise<BedrockServiceError> {
  const data = parseObject(await response.text());
  const headers = Object.fromEntries(response.headers);
  const name = loadRestJsonErrorCode({ statusCode: response.status, headers }, data) ?? "Unknown";
  const message = data.message ?? data.Message;
  return new BedrockServiceError(name, typeof message === "string" ? message : "UnknownError", response.status);
}

/** An exception inside an event stream: its union member (`throttlingException`) names the class. */
export function streamException(member: string, payload: string): BedrockServiceError {
  const message = parseObject(payload).message;
  const name = member.charAt(0).toUpperCase() + member.slice(1);
  return new BedrockServiceError(name, typeof message === "string" ? message : "UnknownError");
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
