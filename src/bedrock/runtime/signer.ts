import { Sha256 } from "@smithy/core/checksum";
import type { HttpRequest } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentityProvider, HeaderBag } from "@smithy/types";

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

/**
 * SigV4 as the SDK's runtime client signs (the same signer, SHA-256 and service name; the path
 * escaped once more, as every service but S3 wants). `credentials` is the SDK's memoised provider
 * chain, which refreshes temporary credentials before they expire; the signer caches its signing
 * key per day and credentials.
 */
export function sigV4(credentials: AwsCredentialIdentityProvider, region: string): Authorize {
  const signer = new SignatureV4({ credentials, region, service: "bedrock", sha256: Sha256, uriEscapePath: true });
  return async (request, signingDate) => (await signer.sign(request, signingDate ? { signingDate } : {})).headers;
}
