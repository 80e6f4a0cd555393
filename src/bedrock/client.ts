import { BedrockClient } from "@aws-sdk/client-bedrock";
import { BedrockRuntimeClient, type ServiceInputTypes, type ServiceOutputTypes } from "@aws-sdk/client-bedrock-runtime";
import { HttpRequest } from "@smithy/core/protocols";
import type { AwsCredentialIdentityProvider, BuildMiddleware } from "@smithy/types";
import { invalidRequest } from "../anthropic/errors.ts";
import type { Config } from "../config.ts";
import packageJson from "../../package.json" with { type: "json" };
import { BunFetchHandler } from "../aws/fetch-handler.ts";
import { isDotSegment } from "./model-id.ts";
import { BedrockRuntimeHttp } from "./runtime/http.ts";
import { bearerToken, sigV4 } from "./runtime/signer.ts";

/**
 * Bedrock's clients, configured once: the generation calls on signed `fetch` (`runtime/http.ts`),
 * CountTokens and the control plane on the AWS SDK's clients. The SDK's own retries are off: the proxy retries itself,
 * and only before the first byte reaches the client. The transport is Bun's fetch (HTTP/1.1 with
 * keep-alive serves every operation we use; the SDK's HTTP/2 default is for bidirectional streams).
 */

export interface BedrockClients {
  /** InvokeModel, InvokeModelWithResponseStream, Converse and ConverseStream: every request's path. */
  generation: BedrockRuntimeHttp;
  runtime: BedrockRuntimeClient;
  control: BedrockClient;
}

/** `credentials` replaces the SDK's default provider chain (tests); the chain is memoised either way. */
export function createBedrockClients(config: Config, credentials?: AwsCredentialIdentityProvider): BedrockClients {
  const requestHandler = new BunFetchHandler();
  const auth = config.AWS_BEARER_TOKEN_BEDROCK
    ? { token: { token: config.AWS_BEARER_TOKEN_BEDROCK }, authSchemePreference: ["httpBearerAuth"] }
    : {};
  const common = { region: config.AWS_REGION, maxAttempts: 1, requestHandler, ...auth, ...(credentials && { credentials }) };
  const controlEndpoint = config.BEDROCK_CONTROL_ENDPOINT ?? config.BEDROCK_ENDPOINT;
  const runtime = new BedrockRuntimeClient({ ...common, ...(config.BEDROCK_ENDPOINT && { endpoint: config.BEDROCK_ENDPOINT }) });
  leanMiddleware(runtime.middlewareStack);
  // The runtime client's credentials are the SDK's provider chain, memoised and refreshed before expiry.
  const authorize = config.AWS_BEARER_TOKEN_BEDROCK ? bearerToken(config.AWS_BEARER_TOKEN_BEDROCK) : sigV4(runtime.config.credentials, config.AWS_REGION);
  const generation = new BedrockRuntimeHttp(runtimeEndpoint(runtime, config), authorize, userAgent);
  return { generation, runtime, control: new BedrockClient({ ...common, ...(controlEndpoint && { endpoint: controlEndpoint }) }) };
}

/** BEDROCK_ENDPOINT, or the region's endpoint as the SDK's own rules resolve it. */
function runtimeEndpoint(runtime: BedrockRuntimeClient, config: Config): URL {
  if (config.BEDROCK_ENDPOINT) return new URL(config.BEDROCK_ENDPOINT);
  return runtime.config.endpointProvider({ Region: config.AWS_REGION, UseFIPS: false, UseDualStack: false }).url;
}

export const userAgent = `anthropic-bedrock-proxy/${packageJson.version}`;

/**
 * The runtime client serves count_tokens (generation goes through `runtime/http.ts`, which sends the
 * same user agent and holds the same dot-segment line). Three of its default middlewares do per-call work
 * that buys the proxy nothing (a user agent rebuilt and escaped on every call, Lambda recursion
 * detection, a logger we do not configure): they cost about a quarter of the SDK's CPU per call, so
 * they go, and a fixed user agent that names the gateway takes the first one's place.
 */
function leanMiddleware(stack: BedrockRuntimeClient["middlewareStack"]): void {
  for (const name of ["getUserAgentMiddleware", "recursionDetectionMiddleware", "loggerMiddleware"]) stack.remove(name);
  const fixedUserAgent: BuildMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next) => (args) => {
    if (HttpRequest.isInstance(args.request)) args.request.headers["user-agent"] = userAgent;
    return next(args);
  };
  stack.add(fixedUserAgent, { step: "build", name: "proxyUserAgent" });
  stack.add(refuseDotSegments, { step: "build", name: "proxyRefuseDotSegments" });
}

/**
 * The last word on the path a model id builds: the resolver already refuses `.` and `..`, and this
 * holds for every operation and every way an id may arrive. `%2e` counts as a dot, as URLs read it.
 */
const refuseDotSegments: BuildMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next) => (args) => {
  if (HttpRequest.isInstance(args.request)) {
    const segment = args.request.path.split("/").find((part) => isDotSegment(part.toLowerCase().replaceAll("%2e", ".")));
    if (segment !== undefined) throw invalidRequest(`model: the Bedrock path ${args.request.path} holds the segment ${segment}`);
  }
  return next(args);
};
