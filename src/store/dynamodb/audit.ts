import { ConditionalCheckFailedException, type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { adminActorSchema, type AuditEntry, auditCursor, auditEntrySchema, auditQuerySchema, type AuditStore } from "../../gateway/audit/audit-entry.ts";
import { StoreConflictError } from "../../gateway/keys/api-key.ts";
import { Expression, type Item, item, optStr, readOptStr, readStr, str } from "./attributes.ts";
import { newestItems } from "./newest.ts";
import { auditByTargetIndex, auditPartition } from "./tables.ts";

export function dynamoAuditStore(client: DynamoDBClient, table: string): AuditStore {
  return {
    async appendAudit(input) {
      const entry = auditEntrySchema.parse(input);
      try {
        await client.send(new PutItemCommand({ TableName: table, Item: toItem(entry), ConditionExpression: "attribute_not_exists(sk)" }));
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) throw new StoreConflictError(`an audit entry with id ${entry.id} exists`);
        throw error;
      }
      return entry;
    },

    async listAudit(input) {
      const query = auditQuerySchema.parse(input);
      const expression = new Expression();
      const partition =
        query.target === undefined
          ? `${expression.name("pk")} = ${expression.value(str(auditPartition))}`
          : `${expression.name("target")} = ${expression.value(str(query.target))}`;
      const range = query.cursor === undefined ? "" : ` AND ${expression.name("sk")} < ${expression.value(str(query.cursor))}`;
      const filter = query.action === undefined ? {} : { FilterExpression: `${expression.name("action")} = ${expression.value(str(query.action))}` };
      const items = await newestItems(
        client,
        {
          TableName: table,
          ...(query.target !== undefined && { IndexName: auditByTargetIndex }),
          KeyConditionExpression: partition + range,
          ...filter,
          ...expression.attributes(),
        },
        query.limit,
        query.action !== undefined,
      );
      const data = items.map(fromItem);
      const last = data.at(-1);
      return { data, next_cursor: data.length === query.limit && last ? auditCursor(last) : null };
    },
  };
}

function toItem(entry: AuditEntry): Item {
  return item({
    pk: str(auditPartition),
    sk: str(auditCursor(entry)),
    id: str(entry.id),
    at: str(entry.at),
    actor: str(JSON.stringify(entry.actor)),
    action: str(entry.action),
    target: str(entry.target),
    before: optStr(entry.before && JSON.stringify(entry.before)),
    after: optStr(entry.after && JSON.stringify(entry.after)),
  });
}

function fromItem(from: Item): AuditEntry {
  const json = (name: string) => {
    const text = readOptStr(from, name);
    return text === null ? null : JSON.parse(text);
  };
  return auditEntrySchema.parse({
    id: readStr(from, "id"),
    at: readStr(from, "at"),
    actor: adminActorSchema.parse(JSON.parse(readStr(from, "actor"))),
    action: readStr(from, "action"),
    target: readStr(from, "target"),
    before: json("before"),
    after: json("after"),
  });
}
