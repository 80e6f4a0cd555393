/** A plausible token count for some pieces of text, given their lengths: about four characters a token, never zero. */
export function estimateTokens(lengths: readonly number[]): number {
  const characters = lengths.reduce((total, length) => total + length, 0);
  return Math.max(1, Math.ceil(characters / 4));
}
