import { z } from "zod";
import { timestampSchema } from "../values.ts";
import type { UsageRecord } from "./usage-record.ts";

/**
 * What the portal and the admin API read beyond roll-ups: the request log across keys (filtered,
 * newest first, paged by cursor) and every key's spend in a month, largest first.
 */

/** `error`: every status from 400 up; a number: that status exactly. */
export const statusFilterSchema = z.union([z.literal("error"), z.coerce.number().int().min(100).max(599)]);
export type StatusFilter = z.infer<typeof statusFilterSchema>;

/** A cursor: an ISO time as `toISOString()` writes it, `#`, an id. */
export const cursorPattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#./;

/** A cursor's time and id. */
export function splitCursor(cursor: string): { at: string; id: string } {
  return { at: cursor.slice(0, 24), id: cursor.slice(25) };
}

/** How far back the request log reaches when a query names no `from`. */
export const defaultLogDays = 366;

export const usageLogQuerySchema = z.strictObject({
  key_id: z.string().min(1).max(128).optional(),
  /** The resolved Bedrock model id. */
  model: z.string().min(1).max(2048).optional(),
  status: statusFilterSchema.optional(),
  /** Records created in [from, to); `to` defaults to now, `from` to `defaultLogDays` before `to`. */
  from: timestampSchema.optional(),
  to: timestampSchema.optional(),
  /** `next_cursor` of the page before. */
  cursor: z.string().max(400).regex(cursorPattern, "must be a next_cursor the log gave").optional(),
  limit: z.coerce.number().int().positive().max(1000).default(100),
});
export type UsageLogQuery = z.input<typeof usageLogQuerySchema>;

export interface UsageLogPage {
  /** Newest first: by `created_at`, then `request_id`, both descending. */
  data: UsageRecord[];
  /** Set when the page is full: pass it as `cursor` for the next (which may be empty). */
  next_cursor: string | null;
}

export interface KeySpend {
  key_id: string;
  spend_usd: number;
}

export interface UsageQueryStore {
  listUsage(query: UsageLogQuery): Promise<UsageLogPage>;
  /** Every key with spend in the UTC month (`YYYY-MM`), largest first (then by key id), at most `limit`. */
  topMonthSpend(month: string, limit: number): Promise<KeySpend[]>;
}

/** The cursor of a record: `created_at` has a fixed length (`toISOString()`), the request id follows. */
export function usageCursor(record: Pick<UsageRecord, "created_at" | "request_id">): string {
  return `${record.created_at}#${record.request_id}`;
}

/** A parsed log query with its range made explicit. */
export function logRange(query: z.infer<typeof usageLogQuerySchema>, now = new Date()): { from: string; to: string } {
  const to = query.to ?? now.toISOString();
  const from = query.from ?? new Date(Date.parse(to) - defaultLogDays * 86_400_000).toISOString();
  return { from, to };
}

/** Whether a record passes the log query's status filter. */
export function statusMatches(status: number, filter: StatusFilter | undefined): boolean {
  return filter === undefined || (filter === "error" ? status >= 400 : status === filter);
}
