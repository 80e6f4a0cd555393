/** Identifiers shaped like Bedrock's: `tooluse_…` (Converse), `toolu_bdrk_01…` and `msg_bdrk_01…` (Invoke). */

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomChars(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

export const converseToolUseId = (): string => `tooluse_${randomChars(22)}`;
export const invokeToolUseId = (): string => `toolu_bdrk_01${randomChars(22)}`;
export const invokeMessageId = (): string => `msg_bdrk_01${randomChars(22)}`;

/** A stand-in reasoning signature for scripted reasoning that gave none (real ones are opaque base64). */
export const reasoningSignature = (): string => btoa(randomChars(96));
