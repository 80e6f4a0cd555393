/** What a validator returns: the request, typed, or Bedrock's message for the first rule it breaks. */
export type Check<T> = { ok: true; request: T } | { ok: false; message: string };

export function firstViolation(rules: ReadonlyArray<() => string | null>): string | null {
  for (const rule of rules) {
    const message = rule();
    if (message !== null) return message;
  }
  return null;
}
