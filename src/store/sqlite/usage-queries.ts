import type { Database } from "bun:sqlite";
import { logRange, splitCursor, usageCursor, type UsageQueryStore, usageLogQuerySchema } from "../../gateway/usage/usage-queries.ts";
import type { UsageRecord } from "../../gateway/usage/usage-record.ts";
import { monthSchema, roundUsd } from "../../gateway/values.ts";
import { recordColumns } from "./usage.ts";

type LogParams = {
  key_id: string | null;
  model: string | null;
  status: number | null;
  errors: number;
  from: string;
  to: string;
  cursor_at: string | null;
  cursor_id: string | null;
  limit: number;
};

const logFilter = `($model IS NULL OR resolved_model = $model) AND ($status IS NULL OR status = $status) AND ($errors = 0 OR status >= 400)
  AND created_at >= $from AND created_at < $to AND ($cursor_at IS NULL OR (created_at, request_id) < ($cursor_at, $cursor_id))`;

export function sqliteUsageQueries(db: Database): UsageQueryStore {
  // Two statements, so each walks the index made for it: one key's records (key_id, created_at, request_id)
  // or every key's (created_at, request_id), newest first.
  const ofKey = db.query<UsageRecord, LogParams>(
    `SELECT ${recordColumns} FROM usage_records WHERE key_id = $key_id AND ${logFilter} ORDER BY created_at DESC, request_id DESC LIMIT $limit`,
  );
  const ofEveryKey = db.query<UsageRecord, LogParams>(
    `SELECT ${recordColumns} FROM usage_records INDEXED BY usage_records_by_time WHERE $key_id IS NULL AND ${logFilter} ORDER BY created_at DESC, request_id DESC LIMIT $limit`,
  );
  const top = db.query<{ key_id: string; spend_usd: number }, { month: string; limit: number }>(
    "SELECT key_id, spend_usd FROM month_spend WHERE month = $month ORDER BY spend_usd DESC, key_id LIMIT $limit",
  );

  return {
    async listUsage(input) {
      const query = usageLogQuerySchema.parse(input);
      const cursor = query.cursor === undefined ? undefined : splitCursor(query.cursor);
      const params: LogParams = {
        key_id: query.key_id ?? null,
        model: query.model ?? null,
        status: typeof query.status === "number" ? query.status : null,
        errors: query.status === "error" ? 1 : 0,
        ...logRange(query),
        cursor_at: cursor?.at ?? null,
        cursor_id: cursor?.id ?? null,
        limit: query.limit,
      };
      const data = (query.key_id === undefined ? ofEveryKey : ofKey).all(params);
      const last = data.at(-1);
      return { data, next_cursor: data.length === query.limit && last ? usageCursor(last) : null };
    },
    async topMonthSpend(month, limit) {
      const rows = top.all({ month: monthSchema.parse(month), limit: Math.min(Math.max(Math.trunc(limit), 0), Number.MAX_SAFE_INTEGER) });
      return rows.map((row) => ({ key_id: row.key_id, spend_usd: roundUsd(row.spend_usd) }));
    },
  };
}
