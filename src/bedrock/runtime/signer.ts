import { createHash, createHmac } from "node:crypto";
import { Sha256 } from "@smithy/core/checksum";
import type { HttpRequest } from "@smithy/core/protocols";
import { AMZ_DATE_HEADER, AUTH_HEADER, ALGORITHM_IDENTIFIER, createScope, getCanonicalHeaders, SHA256_HEADER, SignatureV4, TOKEN_HEADER } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, HeaderBag, HttpRequest as RequestShape } from "@smithy/types";

/**
 * How a Bedrock request is authorised: the headers it goes out with, `authorization` among them.
 * `signingDate` is for tests that compare signatures; requests are signed at the current time.
 */
export type Authorize = (request: HttpRequest, signingDate?: Date) => Promise<HeaderBag>;

/** `AWS_BEARER_TOKEN_BEDROCK`: Bedrock's API keys go as a bearer token, nothing is signed. */
export function bearerToken(token: string): Authorize {
  const authorization = `Bearer ${token}`;
  return async (request) => ({ ...request.headers, authorization });
}

const service = "bedrock";

/**
 * The SDK's signer, for its canonical request alone: the path escaped once more (as every service but
 * S3 wants), the query, the canonical headers' order and format. Its hashing is not used.
 */
class CanonicalRequest extends SignatureV4 {
  constructor() {
    super({ credentials: { accessKeyId: "", secretAccessKey: "" }, region: "", service, sha256: Sha256, uriEscapePath: true });
  }

  of(request: RequestShape, canonicalHeaders: HeaderBag, payloadHash: string): string {
    return this.createCanonicalRequest(request, canonicalHeaders, payloadHash);
  }
}

/**
 * SigV4 as the SDK's runtime client signs: the same headers added (`x-amz-date`, the session token,
 * `x-amz-content-sha256`), the canonical request built by the SDK's own signer, the same scope and
 * Authorization. Only the hashing is native: node:crypto's SHA-256 and HMAC, synchronous, where the
 * SDK's async hash wrapper turns every string into bytes and back and cost several times the rest of
 * the signature (docs/performance.md#signing). The tests compare every signature with the SDK's, and
 * the emulator verifies them with the SDK's signer. `credentials` is the SDK's memoised provider
 * chain, which refreshes temporary credentials before they expire; the signing key is derived once
 * per day and set of credentials.
 */
export function sigV4(credentials: AwsCredentialIdentityProvider, region: string): Authorize {
  const canonical = new CanonicalRequest();
  const signingKey = signingKeys(region);
  return async (unsigned, signingDate = new Date()) => {
    const identity = await credentials();
    const longDate = signingDate.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
    const shortDate = longDate.slice(0, 8);
    const scope = createScope(shortDate, region, service);
    // The body as it goes on the wire (JSON text here; bytes hash as bytes), none as the empty payload.
    const body: string | Uint8Array = unsigned.body ?? "";
    const payloadHash = sha256Hex(body);
    const headers: HeaderBag = {
      ...unsigned.headers,
      [AMZ_DATE_HEADER]: longDate,
      ...(identity.sessionToken ? { [TOKEN_HEADER]: identity.sessionToken } : {}),
      [SHA256_HEADER]: payloadHash,
    };
    const request = { ...unsigned, headers };
    const canonicalHeaders = getCanonicalHeaders(request);
    const canonicalRequest = canonical.of(request, canonicalHeaders, payloadHash);
    const stringToSign = `${ALGORITHM_IDENTIFIER}\n${longDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
    const signature = createHmac("sha256", signingKey(identity, shortDate)).update(stringToSign).digest("hex");
    const signedHeaders = Object.keys(canonicalHeaders).sort().join(";");
    headers[AUTH_HEADER] = `${ALGORITHM_IDENTIFIER} Credential=${identity.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  };
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The SigV4 signing key of one day, derived again when the day or the credentials change. */
function signingKeys(region: string): (identity: AwsCredentialIdentity, shortDate: string) => Buffer {
  let cached: { identity: AwsCredentialIdentity; shortDate: string; key: Buffer } | undefined;
  return (identity, shortDate) => {
    if (cached?.identity === identity && cached.shortDate === shortDate) return cached.key;
    let key = createHmac("sha256", `AWS4${identity.secretAccessKey}`).update(shortDate).digest();
    for (const part of [region, service, "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
    cached = { identity, shortDate, key };
    return key;
  };
}
