import { BedrockClient } from "@aws-sdk/client-bedrock";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Config } from "../config.ts";

/**
 * The AWS SDK clients, configured once. The SDK's own retries are off: the proxy retries itself,
 * and only before the first byte reaches the client. HTTP/1.1 with keep-alive serves every
 * operation we use (the SDK's HTTP/2 default is for bidirectional streams, which we do not use).
 */

export interface BedrockClients {
  runtime: BedrockRuntimeClient;
  control: BedrockClient;
}

export function createBedrockClients(config: Config): BedrockClients {
  const requestHandler = new NodeHttpHandler({
    connectionTimeout: config.UPSTREAM_CONNECT_TIMEOUT_MS,
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 1024 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 1024 }),
  });
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
