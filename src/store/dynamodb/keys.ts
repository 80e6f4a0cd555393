import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  paginateScan,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  type ApiKey,
  apiKeySchema,
  type KeyChanges,
  keyChanges,
  type KeyFilter,
  type KeyPatch,
  keyPatchSchema,
  keyStatusSchema,
  type KeyStore,
  newApiKeySchema,
  StoreConflictError,
  unrevokes,
} from "../../gateway/keys/api-key.ts";
import { timestampSchema } from "../../gateway/values.ts";
import {
  compareText,
  Expression,
  type Item,
  item,
  optNum,
  optStr,
  readOptNum,
  readOptStr,
  readStr,
  readStrList,
  readStrMap,
  str,
  strList,
  strMap,
} from "./attributes.ts";

const keyPk = (id: string) => str(`key#${id}`);
const hashPk = (keyHash: string) => str(`hash#${keyHash}`);

/** Attempts at a patch that lost a race with another writer of the same key. */
const patchAttempts = 3;

export function dynamoKeyStore(client: DynamoDBClient, table: string): KeyStore {
  const read = async (id: string): Promise<ApiKey | undefined> => {
    const { Item: found } = await client.send(new GetItemCommand({ TableName: table, Key: { pk: keyPk(id) }, ConsistentRead: true }));
    return found ? fromItem(found) : undefined;
  };

  /** One conditional update of the patched fields; a revoked key's status must not move. */
  const patchOnce = async (id: string, changes: KeyChanges): Promise<ApiKey | "condition failed"> => {
    const expression = new Expression();
    const attributes = settingAttributes(changes);
    const set = item(attributes);
    const remove = Object.keys(attributes).filter((name) => attributes[name] === undefined);
    let condition = `attribute_exists(${expression.name("pk")})`;
    if (changes.status !== undefined && changes.status !== "revoked") {
      condition += ` AND ${expression.name("status")} <> ${expression.value(str("revoked"))}`;
    }
    try {
      const { Attributes: updated } = await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: keyPk(id) },
          UpdateExpression: expression.update({ set, remove }),
          ConditionExpression: condition,
          ReturnValues: "ALL_NEW",
          ...expression.attributes(),
        }),
      );
      if (!updated) throw new Error("UpdateItem returned no attributes");
      return fromItem(updated);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return "condition failed";
      throw error;
    }
  };

  /**
   * One transaction: the old pointer goes, the new one comes (only where no pointer is), and the key
   * item takes the new hash only while it still has the old one, so a rotation that raced another
   * changes nothing.
   */
  const rotateOnce = async (current: ApiKey, keyHash: string, keyPrefix: string): Promise<"rotated" | "condition failed"> => {
    const expression = new Expression();
    const hash = expression.name("key_hash");
    try {
      await client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Delete: { TableName: table, Key: { pk: hashPk(current.key_hash) } } },
            { Put: { TableName: table, Item: { pk: hashPk(keyHash), key_id: str(current.id) }, ConditionExpression: "attribute_not_exists(pk)" } },
            {
              Update: {
                TableName: table,
                Key: { pk: keyPk(current.id) },
                UpdateExpression: `SET ${hash} = ${expression.value(str(keyHash))}, ${expression.name("key_prefix")} = ${expression.value(str(keyPrefix))}`,
                ConditionExpression: `${hash} = ${expression.value(str(current.key_hash))}`,
                ...expression.attributes(),
              },
            },
          ],
        }),
      );
      return "rotated";
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [, pointerReason, keyReason] = error.CancellationReasons ?? [];
      if (pointerReason?.Code === "ConditionalCheckFailed") throw new StoreConflictError("a key with this secret exists");
      if (keyReason?.Code === "ConditionalCheckFailed") return "condition failed";
      throw error;
    }
  };

  return {
    async createKey(input) {
      const key = newApiKeySchema.parse(input);
      try {
        await client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: { TableName: table, Item: toItem(key), ConditionExpression: "attribute_not_exists(pk)" } },
              { Put: { TableName: table, Item: { pk: hashPk(key.key_hash), key_id: str(key.id) }, ConditionExpression: "attribute_not_exists(pk)" } },
            ],
          }),
        );
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [idReason, hashReason] = error.CancellationReasons ?? [];
        if (idReason?.Code === "ConditionalCheckFailed") throw new StoreConflictError(`a key with id ${key.id} exists`);
        if (hashReason?.Code === "ConditionalCheckFailed") throw new StoreConflictError("a key with this secret exists");
        throw error;
      }
      return key;
    },

    getKey: read,

    async getKeyByHash(keyHash) {
      const { Item: pointer } = await client.send(new GetItemCommand({ TableName: table, Key: { pk: hashPk(keyHash) }, ConsistentRead: true }));
      if (!pointer) return undefined;
      const key = await read(readStr(pointer, "key_id"));
      // Between a delete's two items a pointer may outlive its key; never answer with another key.
      return key?.key_hash === keyHash ? key : undefined;
    },

    async listKeys(filter: KeyFilter = {}) {
      const expression = new Expression();
      const conditions = [`begins_with(${expression.name("pk")}, ${expression.value(str("key#"))})`];
      if (filter.owner !== undefined) conditions.push(`${expression.name("owner")} = ${expression.value(str(filter.owner))}`);
      if (filter.status !== undefined) conditions.push(`${expression.name("status")} = ${expression.value(str(filter.status))}`);
      const keys: ApiKey[] = [];
      const pages = paginateScan({ client }, { TableName: table, FilterExpression: conditions.join(" AND "), ConsistentRead: true, ...expression.attributes() });
      for await (const page of pages) for (const found of page.Items ?? []) keys.push(fromItem(found));
      return keys.sort((a, b) => compareText(a.created_at, b.created_at) || compareText(a.id, b.id));
    },

    async updateKey(id, patch: KeyPatch) {
      const changes = keyChanges(keyPatchSchema.parse(patch));
      if (Object.keys(changes).length === 0) return read(id);
      for (let attempt = 1; ; attempt++) {
        const updated = await patchOnce(id, changes);
        if (updated !== "condition failed") return updated;
        // The condition failed: the key is gone, or revoked. Which one decides the answer.
        const current = await read(id);
        if (!current) return undefined;
        if (unrevokes(current.status, changes)) throw new StoreConflictError(`key ${id} is revoked and stays revoked`);
        if (attempt >= patchAttempts) throw new Error(`key ${id} kept changing while it was being patched`);
      }
    },

    async rotateKeyHash(id, keyHash, keyPrefix) {
      const newHash = apiKeySchema.shape.key_hash.parse(keyHash);
      const newPrefix = apiKeySchema.shape.key_prefix.parse(keyPrefix);
      for (let attempt = 1; ; attempt++) {
        const current = await read(id);
        if (!current) return undefined;
        // One transaction may not touch an item twice: moving onto its own hash is refused here.
        if (current.key_hash === newHash) throw new StoreConflictError("a key with this secret exists");
        if ((await rotateOnce(current, newHash, newPrefix)) === "rotated") return read(id);
        // The key was deleted or rotated meanwhile: read it again and rotate what is there now.
        if (attempt >= patchAttempts) throw new Error(`key ${id} kept changing while it was being rotated`);
      }
    },

    async touchKey(id, at) {
      const expression = new Expression();
      const lastUsed = expression.name("last_used_at");
      const time = expression.value(str(timestampSchema.parse(at)));
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: keyPk(id) },
            UpdateExpression: `SET ${lastUsed} = ${time}`,
            ConditionExpression: `attribute_exists(${expression.name("pk")}) AND (attribute_not_exists(${lastUsed}) OR ${lastUsed} < ${time})`,
            ...expression.attributes(),
          }),
        );
      } catch (error) {
        // A missing key, or a later use already recorded: nothing to do.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    async deleteKey(id) {
      const key = await read(id);
      if (!key) return false;
      try {
        await client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Delete: { TableName: table, Key: { pk: keyPk(id) }, ConditionExpression: "attribute_exists(pk)" } },
              { Delete: { TableName: table, Key: { pk: hashPk(key.key_hash) } } },
            ],
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === "ConditionalCheckFailed") return false;
        throw error;
      }
    },
  };
}

/** The settings a patch (or a new key) writes; an undefined value is an attribute to remove. */
function settingAttributes(settings: KeyChanges) {
  const attributes: Record<string, AttributeValue | undefined> = {};
  if (settings.name !== undefined) attributes.name = str(settings.name);
  if (settings.owner !== undefined) attributes.owner = str(settings.owner);
  if (settings.status !== undefined) attributes.status = str(settings.status);
  if (settings.status_reason !== undefined) attributes.status_reason = optStr(settings.status_reason);
  if (settings.expires_at !== undefined) attributes.expires_at = optStr(settings.expires_at);
  if (settings.rpm !== undefined) attributes.rpm = optNum(settings.rpm);
  if (settings.tpm !== undefined) attributes.tpm = optNum(settings.tpm);
  if (settings.monthly_budget_usd !== undefined) attributes.monthly_budget_usd = optNum(settings.monthly_budget_usd);
  if (settings.service_tier !== undefined) attributes.service_tier = optStr(settings.service_tier);
  if (settings.allowed_models !== undefined) attributes.allowed_models = strList(settings.allowed_models);
  if (settings.model_map !== undefined) attributes.model_map = strMap(settings.model_map);
  return attributes;
}

function toItem(key: ApiKey): Item {
  return item({
    ...settingAttributes(key),
    pk: keyPk(key.id),
    id: str(key.id),
    key_hash: str(key.key_hash),
    key_prefix: str(key.key_prefix),
    created_at: str(key.created_at),
    last_used_at: optStr(key.last_used_at),
  });
}

function fromItem(from: Item): ApiKey {
  return {
    id: readStr(from, "id"),
    key_hash: readStr(from, "key_hash"),
    key_prefix: readStr(from, "key_prefix"),
    name: readStr(from, "name"),
    owner: readStr(from, "owner"),
    status: keyStatusSchema.parse(readStr(from, "status")),
    status_reason: readOptStr(from, "status_reason"),
    expires_at: readOptStr(from, "expires_at"),
    rpm: readOptNum(from, "rpm"),
    tpm: readOptNum(from, "tpm"),
    monthly_budget_usd: readOptNum(from, "monthly_budget_usd"),
    service_tier: apiKeySchema.shape.service_tier.parse(readOptStr(from, "service_tier")),
    allowed_models: readStrList(from, "allowed_models"),
    model_map: readStrMap(from, "model_map"),
    created_at: readStr(from, "created_at"),
    last_used_at: readOptStr(from, "last_used_at"),
  };
}
