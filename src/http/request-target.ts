/**
 * A front proxy's prefix rule ("only /v1 from outside") must mean what it says. Bun resolves dot
 * segments (`..`, `%2e%2e`), turns `\` into `/` and ends the path at `#` before the request's URL is
 * built, and Hono decodes escapes (`%61dmin`) before it routes: `/v1/../admin/api/keys` would reach
 * the admin API while a front proxy read it as /v1. We neither normalise nor guess: a path that does
 * not say plainly where it goes is refused (400), so what the front proxy matched is what we route.
 *
 * The raw target is seen through Bun's own router, which matches the target as sent and hands a
 * parameter route its segments (escapes decoded, dot segments kept): one route per segment count up to
 * `maxSegments`. A target no such route matches (an empty segment, a trailing slash, deeper than
 * any of our routes) reaches the fallback with no segments, and is refused too.
 */

/** Deeper than any route we serve; model ids in admin paths may hold a few slashes. */
export const maxSegments = 16;

/** Bun route patterns: "/", "/:s0", "/:s0/:s1", … */
export const segmentPatterns: readonly string[] = ["/", ...Array.from({ length: maxSegments }, (_, n) => Array.from({ length: n + 1 }, (_, i) => `/:s${i}`).join(""))];

/** A route's parameters in order: the raw segments of the target. */
export function segmentsOf(params: Record<string, string>): string[] {
  return Object.keys(params)
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
    .map((name) => params[name] ?? "");
}

/**
 * What is wrong with a target, if anything. `rawSegments` as Bun's router split it (undefined: no
 * route matched), `sentPath` the URL's path as sent, `routedPath` the path Hono routes on.
 */
export function targetProblem(rawSegments: readonly string[] | undefined, sentPath: string, routedPath: string): string | undefined {
  if (rawSegments === undefined) return `has an empty segment or more than ${maxSegments} segments`;
  if (rawSegments.some(isUnplain)) return "has a dot segment, a backslash or a fragment";
  if (sentPath !== routedPath) return "has percent-escapes that routing would decode";
  return undefined;
}

/** A segment (escapes already decoded, so `%2F` shows as `/`) that Bun's URL parser would rewrite. */
function isUnplain(segment: string): boolean {
  return /[\\#]/.test(segment) || segment.split("/").some((part) => part === "." || part === "..");
}
