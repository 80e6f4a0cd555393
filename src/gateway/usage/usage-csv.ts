import type { z } from "zod";
import { type UsageQueryStore, usageLogQuerySchema } from "./usage-queries.ts";
import type { UsageRecord } from "./usage-record.ts";

/** The request log as CSV (RFC 4180): a header row, then every record the query matches, newest first. */

const columns = [
  "created_at",
  "request_id",
  "key_id",
  "requested_model",
  "resolved_model",
  "status",
  "error_type",
  "input_tokens",
  "output_tokens",
  "cache_read_input_tokens",
  "cache_creation_input_tokens",
  "cost_usd",
  "latency_ms",
  "time_to_first_token_ms",
  "service_tier",
] as const satisfies readonly (keyof UsageRecord)[];

/** The export's filters: the log's, without paging (it reads every page). */
export const usageCsvQuerySchema = usageLogQuerySchema.omit({ cursor: true, limit: true });
export type UsageCsvQuery = z.input<typeof usageCsvQuerySchema>;

/** Records read per page of the log while exporting. */
const pageSize = 1_000;

/** The export a page at a time: memory stays bounded however many records match. */
export async function* usageCsv(store: UsageQueryStore, input: UsageCsvQuery): AsyncGenerator<string> {
  const query = usageCsvQuerySchema.parse(input);
  yield `${columns.join(",")}\r\n`;
  let cursor: string | undefined;
  do {
    const page = await store.listUsage({ ...query, cursor, limit: pageSize });
    if (page.data.length > 0) yield page.data.map(csvRow).join("");
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
}

function csvRow(record: UsageRecord): string {
  return `${columns.map((column) => csvField(record[column])).join(",")}\r\n`;
}

/** Quoted when it holds a comma, quote or line break; a leading =+-@ is quoted after a `'` so spreadsheets never run it as a formula. */
function csvField(value: string | number | null): string {
  if (value === null) return "";
  const text = typeof value === "string" && /^[=+\-@]/.test(value) ? `'${value}` : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
