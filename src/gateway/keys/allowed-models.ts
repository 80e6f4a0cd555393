/**
 * `allowed_models` holds globs (`*` any run of characters, `?` one character) matched against both
 * the name the client sent and the Bedrock id it resolved to, so an operator can allow `claude-*`
 * or `*anthropic.claude-sonnet*` alike. An empty or absent list allows everything.
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

export function modelAllowed(allowed: readonly string[] | undefined, names: readonly string[]): boolean {
  if (!allowed || allowed.length === 0) return true;
  return allowed.some((glob) => names.some((name) => toRegExp(glob).test(name)));
}
