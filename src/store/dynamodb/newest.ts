import { type DynamoDBClient, paginateQuery, type QueryCommandInput } from "@aws-sdk/client-dynamodb";
import type { Item } from "./attributes.ts";

/** Items read per page when a filter may drop many of them (DynamoDB filters after it reads). */
const filteredPageSize = 1_000;

/**
 * The first `wanted` items of a query, newest first (the sort key descending), following pages as
 * needed. `filtered`: the query has a FilterExpression, so a page of `wanted` items read may return
 * fewer; pages are then read larger.
 */
export async function newestItems(client: DynamoDBClient, input: QueryCommandInput, wanted: number, filtered: boolean): Promise<Item[]> {
  const items: Item[] = [];
  if (wanted <= 0) return items;
  const Limit = filtered ? filteredPageSize : Math.min(wanted, filteredPageSize);
  for await (const page of paginateQuery({ client }, { ...input, ScanIndexForward: false, Limit })) {
    items.push(...(page.Items ?? []));
    if (items.length >= wanted) break;
  }
  return items.slice(0, wanted);
}
