import { createHash, timingSafeEqual } from "node:crypto";

/** The credential a client presents: `x-api-key`, or `Authorization: Bearer`, as the Anthropic SDK sends either. */
export function presentedKey(header: (name: string) => string | undefined): string | undefined {
  const apiKey = header("x-api-key");
  if (apiKey) return apiKey;
  const authorization = header("authorization");
  const match = authorization ? /^Bearer\s+(.+)$/i.exec(authorization) : null;
  return match?.[1]?.trim();
}

/** Compares digests, so neither the length nor the content of the key leaks through timing. */
export function sameSecret(presented: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
