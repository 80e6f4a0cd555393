import type { z } from "zod";

/** How both services name what was wrong with an input a zod schema refused. */

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
