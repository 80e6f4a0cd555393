import type { Database } from "bun:sqlite";
import {
  type ApiKey,
  apiKeySchema,
  type KeyChanges,
  keyChanges,
  type KeyFilter,
  keyPatchSchema,
  type KeyStore,
  newApiKeySchema,
  StoreConflictError,
  unrevokes,
} from "../../gateway/keys/api-key.ts";
import { timestampSchema } from "../../gateway/values.ts";

/** api_keys as SQLite returns it: the list and the map are JSON text. */
interface KeyRow extends Omit<ApiKey, "allowed_models" | "model_map"> {
  allowed_models: string;
  model_map: string;
}

type KeyParams = Record<keyof KeyRow, string | number | null>;

const columns = "id, key_hash, key_prefix, name, owner, status, status_reason, expires_at, rpm, tpm, monthly_budget_usd, service_tier, allowed_models, model_map, created_at, last_used_at";

export function sqliteKeyStore(db: Database): KeyStore {
  const insert = db.query<null, KeyParams>(
    `INSERT INTO api_keys (${columns}) VALUES ($id, $key_hash, $key_prefix, $name, $owner, $status, $status_reason, $expires_at, $rpm, $tpm, $monthly_budget_usd, $service_tier, $allowed_models, $model_map, $created_at, $last_used_at)`,
  );
  const byId = db.query<KeyRow, { id: string }>(`SELECT ${columns} FROM api_keys WHERE id = $id`);
  const byHash = db.query<KeyRow, { key_hash: string }>(`SELECT ${columns} FROM api_keys WHERE key_hash = $key_hash`);
  const idOrHashTaken = db.query<{ id: string; key_hash: string }, { id: string; key_hash: string }>(
    "SELECT id, key_hash FROM api_keys WHERE id = $id OR key_hash = $key_hash LIMIT 1",
  );
  const list = db.query<KeyRow, { owner: string | null; status: string | null }>(
    `SELECT ${columns} FROM api_keys WHERE ($owner IS NULL OR owner = $owner) AND ($status IS NULL OR status = $status) ORDER BY created_at, id`,
  );
  const update = db.query<null, Omit<KeyParams, "key_hash" | "key_prefix" | "created_at" | "last_used_at">>(
    `UPDATE api_keys SET name = $name, owner = $owner, status = $status, status_reason = $status_reason, expires_at = $expires_at,
       rpm = $rpm, tpm = $tpm, monthly_budget_usd = $monthly_budget_usd, service_tier = $service_tier,
       allowed_models = $allowed_models, model_map = $model_map
     WHERE id = $id`,
  );
  const moveHash = db.query<null, { id: string; key_hash: string; key_prefix: string }>(
    "UPDATE api_keys SET key_hash = $key_hash, key_prefix = $key_prefix WHERE id = $id",
  );
  const touch = db.query<null, { id: string; at: string }>(
    "UPDATE api_keys SET last_used_at = $at WHERE id = $id AND (last_used_at IS NULL OR last_used_at < $at)",
  );
  const remove = db.query<null, { id: string }>("DELETE FROM api_keys WHERE id = $id");

  const read = (id: string) => {
    const row = byId.get({ id });
    return row ? fromRow(row) : undefined;
  };

  const create = db.transaction((key: ApiKey): ApiKey => {
    const taken = idOrHashTaken.get({ id: key.id, key_hash: key.key_hash });
    if (taken) throw new StoreConflictError(taken.id === key.id ? `a key with id ${key.id} exists` : "a key with this secret exists");
    insert.run(toRow(key));
    return key;
  });

  const patchKey = db.transaction((id: string, changes: KeyChanges): ApiKey | undefined => {
    const current = read(id);
    if (!current) return undefined;
    if (unrevokes(current.status, changes)) throw new StoreConflictError(`key ${id} is revoked and stays revoked`);
    const next: ApiKey = { ...current, ...changes };
    const { key_hash: _hash, key_prefix: _prefix, created_at: _created, last_used_at: _used, ...settings } = toRow(next);
    update.run(settings);
    return next;
  });

  // One UPDATE of the row: the hash index moves with it, so no moment exists with both or neither hash.
  const rotate = db.transaction((id: string, keyHash: string, keyPrefix: string): ApiKey | undefined => {
    const current = read(id);
    if (!current) return undefined;
    if (byHash.get({ key_hash: keyHash })) throw new StoreConflictError("a key with this secret exists");
    moveHash.run({ id, key_hash: keyHash, key_prefix: keyPrefix });
    return { ...current, key_hash: keyHash, key_prefix: keyPrefix };
  });

  return {
    async createKey(input) {
      return create.immediate(newApiKeySchema.parse(input));
    },
    async getKey(id) {
      return read(id);
    },
    async getKeyByHash(keyHash) {
      const row = byHash.get({ key_hash: keyHash });
      return row ? fromRow(row) : undefined;
    },
    async listKeys(filter: KeyFilter = {}) {
      return list.all({ owner: filter.owner ?? null, status: filter.status ?? null }).map(fromRow);
    },
    async updateKey(id, patch) {
      return patchKey.immediate(id, keyChanges(keyPatchSchema.parse(patch)));
    },
    async rotateKeyHash(id, keyHash, keyPrefix) {
      return rotate.immediate(id, apiKeySchema.shape.key_hash.parse(keyHash), apiKeySchema.shape.key_prefix.parse(keyPrefix));
    },
    async touchKey(id, at) {
      touch.run({ id, at: timestampSchema.parse(at) });
    },
    async deleteKey(id) {
      return remove.run({ id }).changes > 0;
    },
  };
}

function toRow(key: ApiKey): KeyParams {
  return { ...key, allowed_models: JSON.stringify(key.allowed_models), model_map: JSON.stringify(key.model_map) };
}

function fromRow(row: KeyRow): ApiKey {
  return {
    ...row,
    allowed_models: apiKeySchema.shape.allowed_models.parse(JSON.parse(row.allowed_models)),
    model_map: apiKeySchema.shape.model_map.parse(JSON.parse(row.model_map)),
  };
}
