import { extendedEncodeURIComponent, HttpRequest } from "@smithy/core/protocols";
import type { HeaderBag } from "@smithy/types";
import { invalidRequest } from "../../anthropic/errors.ts";
import { isDotSegment } from "../model-id.ts";
import type { Authorize } from "./signer.ts";
import { errorFromResponse } from "./wire-errors.ts";

/**
 * Bedrock Runtime's four generation calls (InvokeModel, InvokeModelWithResponseStream, Converse,
 * ConverseStream) on Bun's `fetch`, signed with SigV4 as the SDK signs (`signer.ts`): the request the SDK's
 * client would send, without its middleware stack and schema serde, which cost more CPU per request
 * than the rest of the proxy together. The SDK's clients keep the control plane (CountTokens, model
 * listing). Failures throw as the SDK's would (see `wire-errors.ts`); timeouts and retries are the
 * caller's (`UpstreamCall`), through `signal`.
 */

export type RuntimeOperation = "invoke" | "invoke-with-response-stream" | "converse" | "converse-stream";

export interface RuntimeRequest {
  operation: RuntimeOperation;
  modelId: string;
  /** The JSON body, serialised. */
  body: string;
  /** The operation's own headers (content type, accept, service tier), names lower-case. */
  headers: HeaderBag;
}

export class BedrockRuntimeHttp {
  private readonly origin: string;
  private readonly basePath: string;
  private readonly fixedHeaders: HeaderBag;

  /** `endpoint` as the SDK's `endpoint` setting takes it; a path on it prefixes every operation's. */
  constructor(
    endpoint: URL,
    private readonly authorize: Authorize,
    userAgent: string,
  ) {
    this.origin = endpoint.origin;
    this.basePath = endpoint.pathname.replace(/\/+$/, "");
    this.fixedHeaders = { host: endpoint.host, "user-agent": userAgent };
  }

  /** Sends the request; resolves to Bedrock's 2xx answer, throws its refusal as the SDK would. */
  async post(request: RuntimeRequest, signal: AbortSignal): Promise<Response> {
    const { url, headers } = await this.signed(request);
    const response = await fetch(url, { method: "POST", headers, body: request.body, signal });
    if (!response.ok) throw await errorFromResponse(response);
    return response;
  }

  /** The request's URL and headers as they go on the wire. */
  async signed(request: RuntimeRequest, signingDate?: Date): Promise<{ url: string; headers: HeaderBag }> {
    const path = `${this.basePath}/model/${modelSegment(request.modelId)}/${request.operation}`;
    const unsigned = new HttpRequest({
      method: "POST",
      path,
      headers: { ...this.fixedHeaders, ...request.headers, "content-length": String(Buffer.byteLength(request.body)) },
      body: request.body,
    });
    return { url: this.origin + path, headers: await this.authorize(unsigned, signingDate) };
  }
}

/**
 * A model id is exactly one path segment: percent-encoded as the SDK encodes labels (`/`, `%`, `:`
 * and the rest escaped), and never `.` or `..`, which a URL would resolve (`/model/../converse`).
 * The resolver already refuses them; this holds for every way an id may arrive.
 */
function modelSegment(modelId: string): string {
  if (isDotSegment(modelId)) throw invalidRequest(`model: the Bedrock path /model/${modelId}/ holds the segment ${modelId}`);
  return extendedEncodeURIComponent(modelId);
}
