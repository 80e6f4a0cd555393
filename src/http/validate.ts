import { zValidator } from "@hono/zod-validator";
import { validator } from "hono/validator";
import type { z } from "zod";
import { invalidRequest } from "../anthropic/errors.ts";
import { maxJsonDepth, nestsDeeperThan } from "./json-depth.ts";

/**
 * A JSON body validated by its zod schema; a failure is a 400 naming the field, as Anthropic does.
 * Its depth is checked first, before zod or anything else recurses into it.
 */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return validator("json", async (value): Promise<z.output<T>> => {
    if (nestsDeeperThan(value, maxJsonDepth)) throw invalidRequest(`body: nested deeper than ${maxJsonDepth} levels, the limit`);
    const result = await schema.safeParseAsync(value);
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

export type Issue = z.core.$ZodIssue;

/** The first few issues, each naming its field (`where` names the whole input when the issue has no path). */
export function describeIssues(issues: readonly Issue[], where = "body"): string {
  return issues
    .slice(0, 3)
    .map(mostSpecific)
    .map((issue) => `${issue.path.join(".") || where}: ${issue.message}`)
    .join("; ");
}

/**
 * A union (string or blocks, one block type or another) fails as a whole with "Invalid input";
 * the branch that got furthest names the field the client actually got wrong.
 */
function mostSpecific(issue: Issue): Issue {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return issue;
  const candidates = issue.errors.flat().map((inner) => {
    const specific = mostSpecific(inner);
    return { ...specific, path: [...issue.path, ...specific.path] };
  });
  return candidates.reduce((best, candidate) => (candidate.path.length > best.path.length ? candidate : best), issue);
}
