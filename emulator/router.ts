import { listFoundationModels, listInferenceProfiles } from "./control-plane.ts";
import { controlApi, type EmulatorState } from "./control-api.ts";
import { countTokens } from "./count-tokens.ts";
import { errorResponse, validationError } from "./errors.ts";
import { converse, invoke } from "./generation.ts";
import { malformedRequest, notJson, parseJson } from "./json.ts";
import type { Operation } from "./request-log.ts";
import { type EmulatorCredentials, refuseSignature } from "./sigv4.ts";

/** Dispatches Bedrock's routes (data plane `/model/{id}/…`, control plane) and the emulator's own. */

const operations: ReadonlySet<string> = new Set<Operation>(["converse", "converse-stream", "invoke", "invoke-with-response-stream", "count-tokens"]);

function isOperation(name: string | undefined): name is Operation {
  return name !== undefined && operations.has(name);
}

/** A SigV4 signature or a bearer token must be there; whether it is valid is `sigv4.ts`'s question. */
function hasCredential(request: Request): boolean {
  const authorization = request.headers.get("authorization") ?? "";
  return authorization.startsWith("AWS4-HMAC-SHA256 ") || authorization.startsWith("Bearer ");
}

/** With `credentials`, every SigV4 signature is verified (`sigv4.ts`); without, any passes. */
export function createFetchHandler(state: EmulatorState, credentials?: EmulatorCredentials): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/_emulator/")) return controlApi(request, url.pathname, state);
    if (!hasCredential(request)) return errorResponse("UnrecognizedClientException", "The security token included in the request is invalid.");
    const text = await request.text();
    const refusal = credentials && (await refuseSignature(request, url, text, credentials));
    if (refusal) return refusal;
    const [, root, encodedModelId, operation, ...rest] = url.pathname.split("/");
    if (request.method === "POST" && root === "model" && encodedModelId && isOperation(operation) && rest.length === 0) {
      const modelId = decodeModelId(encodedModelId);
      return modelId === undefined ? validationError("The provided model identifier is invalid.") : dataPlane(operation, modelId, text, request, state);
    }
    if (request.method === "GET" && url.pathname === "/foundation-models") return listFoundationModels(url.searchParams);
    if (request.method === "GET" && url.pathname === "/inference-profiles") return listInferenceProfiles(url.searchParams);
    return errorResponse("UnknownOperationException", `No Bedrock operation at ${request.method} ${url.pathname}`);
  };
}

function decodeModelId(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

async function dataPlane(operation: Operation, modelId: string, text: string, request: Request, state: EmulatorState): Promise<Response> {
  const body = parseJson(text);
  state.requests.record({ operation, modelId, headers: Object.fromEntries(request.headers), body: body === notJson ? text : body });
  if (body === notJson) return validationError(malformedRequest);
  const call = { modelId, body, signal: request.signal, headerTier: request.headers.get("x-amzn-bedrock-service-tier") ?? undefined };
  switch (operation) {
    case "count-tokens":
      return countTokens(modelId, body);
    case "converse":
    case "converse-stream":
      return converse({ ...call, stream: operation === "converse-stream" }, state.turns);
    case "invoke":
    case "invoke-with-response-stream":
      return invoke({ ...call, stream: operation === "invoke-with-response-stream" }, state.turns);
  }
}
