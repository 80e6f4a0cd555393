/**
 * `allowed_models` holds globs (`*` any run of characters, `?` one character, case-insensitive)
 * matched against the Bedrock id a request resolved to: what is served and billed. The name the
 * client sent is not consulted, so no alias or made-up name can reach a model the globs do not
 * name. A new key allows `["*"]`; an empty list allows nothing.
 */

export function modelAllowed(allowed: readonly string[], modelId: string): boolean {
  const name = modelId.toLowerCase();
  return allowed.some((glob) => globMatches(glob.toLowerCase(), name));
}

/**
 * Greedy matching without backtracking into earlier stars: the glob is cut at its stars into
 * literal pieces (`?` matching any one character); the first piece must start the name, the last
 * must end it, and each middle piece is taken at its leftmost place after the one before. Leftmost
 * is always right, since a later place only leaves less name to the pieces that follow. Each piece
 * is looked for once, so a glob costs at most len(name) × len(glob) comparisons (the key schema keeps globs to
 * `maxGlobLength` and model ids to `maxModelIdLength`: 256 × 512),
 * never the exponential time of a backtracking regular expression.
 */
function globMatches(glob: string, name: string): boolean {
  const pieces = glob.split("*");
  const first = pieces[0] ?? "";
  if (pieces.length === 1) return first.length === name.length && pieceAt(first, name, 0);
  const last = pieces.at(-1) ?? "";
  const end = name.length - last.length;
  if (end < first.length || !pieceAt(first, name, 0) || !pieceAt(last, name, end)) return false;
  let at = first.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = leftmost(piece, name, at, end);
    if (found < 0) return false;
    at = found + piece.length;
  }
  return true;
}

/** Where `piece` first fits in name[from, to), or -1. */
function leftmost(piece: string, name: string, from: number, to: number): number {
  for (let at = from; at + piece.length <= to; at++) if (pieceAt(piece, name, at)) return at;
  return -1;
}

function pieceAt(piece: string, name: string, at: number): boolean {
  for (let i = 0; i < piece.length; i++) if (piece[i] !== "?" && piece[i] !== name[at + i]) return false;
  return true;
}
