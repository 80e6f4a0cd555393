import type { Database } from "bun:sqlite";
import { adminActorSchema, type AuditEntry, auditCursor, auditEntrySchema, auditQuerySchema, type AuditStore } from "../../gateway/audit/audit-entry.ts";
import { splitCursor } from "../../gateway/usage/usage-queries.ts";
import { StoreConflictError } from "../../gateway/keys/api-key.ts";

/** audit_log as SQLite returns it: actor and states are JSON text. */
type AuditRow = {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  before_state: string | null;
  after_state: string | null;
};

type ListParams = {
  target: string | null;
  action: string | null;
  cursor_at: string | null;
  cursor_id: string | null;
  limit: number;
};

const columns = "id, at, actor, action, target, before_state, after_state";
const filter = "($action IS NULL OR action = $action) AND ($cursor_at IS NULL OR (at, id) < ($cursor_at, $cursor_id))";

export function sqliteAuditStore(db: Database): AuditStore {
  const insert = db.query<null, AuditRow>(`INSERT INTO audit_log (${columns}) VALUES ($id, $at, $actor, $action, $target, $before_state, $after_state) ON CONFLICT (id) DO NOTHING`);
  const ofTarget = db.query<AuditRow, ListParams>(`SELECT ${columns} FROM audit_log WHERE target = $target AND ${filter} ORDER BY at DESC, id DESC LIMIT $limit`);
  const all = db.query<AuditRow, ListParams>(`SELECT ${columns} FROM audit_log WHERE $target IS NULL AND ${filter} ORDER BY at DESC, id DESC LIMIT $limit`);

  return {
    async appendAudit(input) {
      const entry = auditEntrySchema.parse(input);
      const row = {
        ...entry,
        actor: JSON.stringify(entry.actor),
        before_state: entry.before && JSON.stringify(entry.before),
        after_state: entry.after && JSON.stringify(entry.after),
      };
      const { before: _before, after: _after, ...params } = row;
      if (insert.run(params).changes === 0) throw new StoreConflictError(`an audit entry with id ${entry.id} exists`);
      return entry;
    },
    async listAudit(input) {
      const query = auditQuerySchema.parse(input);
      const cursor = query.cursor === undefined ? undefined : splitCursor(query.cursor);
      const params = { target: query.target ?? null, action: query.action ?? null, cursor_at: cursor?.at ?? null, cursor_id: cursor?.id ?? null, limit: query.limit };
      const data = (query.target === undefined ? all : ofTarget).all(params).map(fromRow);
      const last = data.at(-1);
      return { data, next_cursor: data.length === query.limit && last ? auditCursor(last) : null };
    },
  };
}

function fromRow(row: AuditRow): AuditEntry {
  return auditEntrySchema.parse({
    id: row.id,
    at: row.at,
    actor: adminActorSchema.parse(JSON.parse(row.actor)),
    action: row.action,
    target: row.target,
    before: row.before_state === null ? null : JSON.parse(row.before_state),
    after: row.after_state === null ? null : JSON.parse(row.after_state),
  });
}
