/**
 * How deep a request body may nest objects and arrays. Everything downstream that walks a body
 * (the token estimate, JSON.stringify, the converters) recurses, and at 50,000 levels a recursion
 * overflows the stack; real requests stay far below this (Claude Code's deepest tool schema is about
 * ten levels, JSON Schemas with nested definitions a few dozen).
 */
export const maxJsonDepth = 128;

/** Whether `value` nests deeper than `limit`, found without recursion (it must not overflow on what it guards against). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== "object" || next.value === null) continue;
    const depth = next.depth + 1;
    if (depth > limit) return true;
    for (const child of Object.values(next.value)) if (typeof child === "object" && child !== null) pending.push({ value: child, depth });
  }
  return false;
}
