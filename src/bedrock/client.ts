import { BedrockClient } from "@aws-sdk/client-bedrock";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import type { Config } from "../config.ts";
import { BunFetchHandler } from "./fetch-handler.ts";

/**
 * The AWS SDK clients, configured once. The SDK's own retries are off: the proxy retries itself,
 * and only before the first byte reaches the client. The transport is Bun's fetch (HTTP/1.1 with
 * keep-alive serves every operation we use; the SDK's HTTP/2 default is for bidirectional streams).
 */

export interface BedrockClients {
  runtime: BedrockRuntimeClient;
  control: BedrockClient;
}

export function createBedrockClients(config: Config): BedrockClients {
  const requestHandler = new BunFetchHandler();
  const auth = config.AWS_BEARER_TOKEN_BEDROCK
    ? { token: { token: config.AWS_BEARER_TOKEN_BEDROCK }, authSchemePreference: ["httpBearerAuth"] }
    : {};
  const common = { region: config.AWS_REGION, maxAttempts: 1, requestHandler, ...auth };
  const controlEndpoint = config.BEDROCK_CONTROL_ENDPOINT ?? config.BEDROCK_ENDPOINT;
  return {
    runtime: new BedrockRuntimeClient({ ...common, ...(config.BEDROCK_ENDPOINT && { endpoint: config.BEDROCK_ENDPOINT }) }),
    control: new BedrockClient({ ...common, ...(controlEndpoint && { endpoint: controlEndpoint }) }),
  };
}
