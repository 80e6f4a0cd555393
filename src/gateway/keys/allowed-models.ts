/**
 * `allowed_models` holds globs (`*` any run of characters, `?` one character) matched against both
 * the name the client sent and the Bedrock id it resolved to, so an operator can allow `claude-*`
 * or `*anthropic.claude-sonnet*` alike. A new key allows `["*"]`; an empty list allows nothing.
 */

const compiled = new Map<string, RegExp>();

function toRegExp(glob: string): RegExp {
  let pattern = compiled.get(glob);
  if (!pattern) {
    const source = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    pattern = new RegExp(`^${source}$`, "i");
    compiled.set(glob, pattern);
  }
  return pattern;
}

export function modelAllowed(allowed: readonly string[], names: readonly string[]): boolean {
  return allowed.some((glob) => names.some((name) => toRegExp(glob).test(name)));
}
