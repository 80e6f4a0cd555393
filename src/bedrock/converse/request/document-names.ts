const maxNameLength = 100;

/**
 * Bedrock's document `name` may hold only alphanumerics, single whitespace characters, hyphens,
 * parentheses and square brackets, and must be unique within a request. Anthropic's `title` is free
 * text, so each title is cleaned, and a document without a usable title is `document-N` (its position
 * among the request's documents).
 */
export class DocumentNamer {
  readonly #used = new Set<string>();
  #count = 0;

  name(title: string | null | undefined): string {
    this.#count += 1;
    const base = legalDocumentName(title ?? "") || `document-${this.#count}`;
    let name = base;
    for (let copy = 2; this.#used.has(name.toLowerCase()); copy++) name = `${base} (${copy})`;
    this.#used.add(name.toLowerCase());
    return name;
  }
}

export function legalDocumentName(title: string): string {
  return title
    .replace(/[^a-zA-Z0-9\s\-()[\]]/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, maxNameLength)
    .trim();
}
