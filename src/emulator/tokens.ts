/** A plausible token count for text: about four characters a token, never zero. */
export function estimateTokens(characters: number): number {
  return Math.max(1, Math.ceil(characters / 4));
}
