import { createHash } from "node:crypto";
import { Sha256 } from "@smithy/core/checksum";
import { HttpRequest } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import { errorResponse } from "./errors.ts";

/**
 * SigV4 checked as Bedrock checks it, when the emulator is given credentials: the canonical request is
 * rebuilt from what arrived (method, raw path, query, the headers the client says it signed, the body's
 * SHA-256) and signed again with the secret; anything else than the same signature is refused. A proxy
 * that signs wrongly thus fails against the emulator as it would against AWS. Bearer tokens pass
 * (Bedrock's API keys; the emulator holds none to compare), and without credentials any signature
 * does. The clock is not checked: the emulator runs beside its client, and a bench reuses signatures.
 */

export interface EmulatorCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const authorizationPattern = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const mismatch =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/** The refusal to send, or undefined when the request is signed with `credentials` (or carries a bearer token). */
export async function refuseSignature(request: Request, url: URL, body: string, credentials: EmulatorCredentials): Promise<Response | undefined> {
  const authorization = request.headers.get("authorization") ?? "";
  if (authorization.startsWith("Bearer ")) return undefined;
  const match = authorizationPattern.exec(authorization);
  if (!match) return errorResponse("InvalidSignatureException", `Authorization header is not a SigV4 signature: ${authorization.slice(0, 40)}`);
  const [, accessKeyId = "", , region = "", service = "", signedHeaders = "", signature = ""] = match;
  if (accessKeyId !== credentials.accessKeyId) return errorResponse("UnrecognizedClientException", "The security token included in the request is invalid.");
  const bodyHash = createHash("sha256").update(body).digest("hex");
  const claimedHash = request.headers.get("x-amz-content-sha256");
  if (claimedHash !== null && claimedHash !== bodyHash) return errorResponse("InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed.");
  const signingDate = amzDate(request.headers.get("x-amz-date") ?? "");
  if (!signingDate) return errorResponse("InvalidSignatureException", "The request carries no valid X-Amz-Date.");
  const expected = await signatureOf(request, url, body, { ...credentials, region, service, signedHeaders: signedHeaders.split(";"), signingDate });
  return expected === signature ? undefined : errorResponse("InvalidSignatureException", mismatch);
}

interface Scope extends EmulatorCredentials {
  region: string;
  service: string;
  signedHeaders: string[];
  signingDate: Date;
}

async function signatureOf(request: Request, url: URL, body: string, scope: Scope): Promise<string | undefined> {
  const headers = Object.fromEntries(scope.signedHeaders.map((name) => [name, request.headers.get(name) ?? ""]));
  const sessionToken = request.headers.get("x-amz-security-token") ?? undefined;
  const signer = new SignatureV4({
    credentials: { accessKeyId: scope.accessKeyId, secretAccessKey: scope.secretAccessKey, ...(sessionToken && { sessionToken }) },
    region: scope.region,
    service: scope.service,
    sha256: Sha256,
    uriEscapePath: true,
    // The signer adds x-amz-content-sha256 unless told not to: only where the client signed it.
    applyChecksum: scope.signedHeaders.includes("x-amz-content-sha256"),
  });
  const query: Record<string, string | string[]> = {};
  for (const name of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(name);
    query[name] = values.length === 1 ? (values[0] ?? "") : values;
  }
  const rebuilt = new HttpRequest({ method: request.method, hostname: url.hostname, path: url.pathname, query, headers, ...(body && { body }) });
  const signed = await signer.sign(rebuilt, { signingDate: scope.signingDate, signableHeaders: new Set(scope.signedHeaders) });
  return /Signature=([0-9a-f]{64})$/.exec(signed.headers.authorization ?? "")?.[1];
}

/** `20261127T170747Z` as a Date. */
function amzDate(text: string): Date | undefined {
  const parts = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(text);
  const date = parts ? new Date(`${parts[1]}-${parts[2]}-${parts[3]}T${parts[4]}:${parts[5]}:${parts[6]}Z`) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}
