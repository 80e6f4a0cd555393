/**
 * A model id is a segment of Bedrock's paths (`/model/{id}/converse`). The SDK percent-encodes every
 * character that could end the segment (`/`, `%`, `?`, `#`), so an ARN's `/` stays inside it; but `.`
 * and `..` go out as they are and the URL resolves them: `..` would send the call to `/converse`.
 * The resolver, the stores' schemas and the client's last check all refuse them with this one rule.
 */
export function isDotSegment(segment: string): boolean {
  return segment === "." || segment === "..";
}
