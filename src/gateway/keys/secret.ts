import { createHash, randomBytes } from "node:crypto";

/**
 * Issued API keys: 32 random bytes from the system's cryptographic RNG, with a recognisable prefix
 * so leaked keys are easy to spot (and to scan for). Only the SHA-256 of a key is ever stored; the
 * first characters are kept apart so operators can tell keys apart without the secret.
 */

export const keyPrefix = "sk-abp-";
/** How much of a key is shown in listings: the prefix and a few characters after it. */
const displayedLength = keyPrefix.length + 6;

export interface IssuedKey {
  /** Shown once, at creation or rotation; never stored. */
  secret: string;
  hash: string;
  displayPrefix: string;
}

export function issueKey(): IssuedKey {
  const secret = `${keyPrefix}${randomBytes(32).toString("base64url")}`;
  return { secret, hash: hashKey(secret), displayPrefix: secret.slice(0, displayedLength) };
}

export function hashKey(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function looksIssued(secret: string): boolean {
  return secret.startsWith(keyPrefix);
}
