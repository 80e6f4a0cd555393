import { z } from "zod";

/**
 * A model id is a segment of Bedrock's paths (`/model/{id}/converse`). The SDK percent-encodes every
 * character that could end the segment (`/`, `%`, `?`, `#`), so an ARN's `/` stays inside it; but `.`
 * and `..` go out as they are and the URL resolves them: `..` would send the call to `/converse`.
 * The resolver, the stores' schemas and the client's last check all refuse them with this one rule.
 */
export function isDotSegment(segment: string): boolean {
  return segment === "." || segment === "..";
}

/** Longer than any Bedrock model id, inference profile or ARN. */
export const maxModelIdLength = 512;

/** A Bedrock model id as a target of aliases: in the stores and in the configuration (`MODEL_MAP`, `DEFAULT_*_MODEL`). */
export const modelIdSchema = z
  .string()
  .min(1)
  .max(maxModelIdLength)
  .refine((id) => !isDotSegment(id), "must be a Bedrock model id, not a path segment");
