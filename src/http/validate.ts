import { zValidator } from "@hono/zod-validator";
import { validator } from "hono/validator";
import type { z } from "zod";
import { invalidRequest } from "../anthropic/errors.ts";
import { describeIssues, type Issue } from "../../lib/zod-issues.ts";
import { maxJsonDepth, nestsDeeperThan } from "./json-depth.ts";

/**
 * A JSON body validated by its zod schema; a failure is a 400 naming the field, as Anthropic does.
 * Its depth is checked first, before zod or anything else recurses into it. No schema here refines
 * asynchronously, so the parse is synchronous (zod's async parse costs a promise per checked value).
 */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return validator("json", (value): z.output<T> => {
    if (nestsDeeperThan(value, maxJsonDepth)) throw invalidRequest(`body: nested deeper than ${maxJsonDepth} levels, the limit`);
    const result = schema.safeParse(value);
    if (!result.success) throw invalidRequest(describeIssues(result.error.issues));
    return result.data;
  });
}

/** A query string validated the same way. */
export function queryParams<T extends z.ZodType>(schema: T) {
  return zValidator("query", schema, refuseInvalid);
}

function refuseInvalid(result: { success: true } | { success: false; error: { issues: readonly Issue[] } }): void {
  if (!result.success) throw invalidRequest(describeIssues(result.error.issues));
}
