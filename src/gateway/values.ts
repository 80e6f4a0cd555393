import { z } from "zod";

/**
 * The values every record of the gateway is made of: times, months and dollars. Times are UTC ISO 8601
 * strings with milliseconds (what `Date#toISOString()` gives): the stores normalise every time they take,
 * so times sort as text and bucket the same way in both.
 */

/** Any ISO 8601 date-time (offsets allowed), normalised to UTC `YYYY-MM-DDTHH:mm:ss.sssZ`. */
export const timestampSchema = z.iso.datetime({ offset: true }).transform(isoTime);

/** A UTC calendar month, `YYYY-MM`: the period of a key's budget. */
export const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be a UTC month, YYYY-MM");

/** An amount of US dollars; never negative (costs and spend only grow). */
export const usdSchema = z.number().finite().nonnegative();

/** USD to 10 decimal places: removes binary floating-point noise from sums (0.1 + 0.2 → 0.3). */
export function roundUsd(value: number): number {
  return Math.round(value * 1e10) / 1e10;
}

/** The UTC month of a time, `YYYY-MM`: the key of month-to-date spend. */
export function utcMonth(at: string | Date): string {
  return isoTime(at).slice(0, 7);
}

/** `Date#toISOString()`'s own shape, which every stored time has (see above). */
const isoShape = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * A time as `Date#toISOString()` writes it. A stored time is in that shape already and is returned as
 * it is: every usage record is bucketed by hour, day and month, and parsing and formatting its time
 * three times again showed in the request path's profile (docs/performance.md).
 */
export function isoTime(at: string | Date): string {
  return typeof at === "string" && isoShape.test(at) ? at : new Date(at).toISOString();
}

/** Text order by UTF-16 code units (what `<` compares). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
