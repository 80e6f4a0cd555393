/** Cutting text for deltas without ever splitting a UTF-16 surrogate pair (a split would garble an emoji). */

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** The cut at `index` moved forward past a low surrogate, so the pair stays whole. */
function safeCut(text: string, index: number): number {
  return index < text.length && isLowSurrogate(text.charCodeAt(index)) ? index + 1 : index;
}

/** Pieces of about `size` characters; an empty text is one empty piece (a block still gets one delta). */
export function chunkText(text: string, size: number): string[] {
  if (text.length <= size) return [text];
  const chunks: string[] = [];
  for (let start = 0; start < text.length; ) {
    const end = safeCut(text, Math.min(start + size, text.length));
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}

export function truncateText(text: string, size: number): string {
  return text.length <= size ? text : text.slice(0, safeCut(text, size));
}
