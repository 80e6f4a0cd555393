import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { HttpHandlerOptions, HttpRequest } from "@smithy/core/protocols";
import { BunFetchHandler } from "../../aws/fetch-handler.ts";

export interface DynamoDbConnection {
  /** DynamoDB Local or another endpoint; the region's AWS endpoint otherwise. */
  endpoint?: string;
  region: string;
  /** Fixed credentials (DynamoDB Local takes any); the default AWS credential chain otherwise. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** No store call may hang a request: each HTTP attempt gets this long. */
const attemptTimeoutMs = 5_000;

/**
 * Bun's fetch under the SDK (as for Bedrock: the SDK's Node transport costs several times the CPU),
 * with a timeout per attempt because that transport leaves timeouts to the caller. The SDK's own
 * retries stay on (3 attempts): every store write is safe to repeat (conditional puts, and
 * TransactWriteItems carries an idempotency token across the SDK's retries).
 */
export function createDynamoDbClient(connection: DynamoDbConnection): DynamoDBClient {
  return new DynamoDBClient({
    region: connection.region,
    requestHandler: new TimedFetchHandler(),
    maxAttempts: 3,
    ...(connection.endpoint && { endpoint: connection.endpoint }),
    ...(connection.credentials && { credentials: connection.credentials }),
  });
}

class TimedFetchHandler extends BunFetchHandler {
  override handle(request: HttpRequest, options: HttpHandlerOptions = {}) {
    const timeout = AbortSignal.timeout(attemptTimeoutMs);
    const abortSignal = options.abortSignal instanceof AbortSignal ? AbortSignal.any([options.abortSignal, timeout]) : timeout;
    return super.handle(request, { ...options, abortSignal });
  }
}
