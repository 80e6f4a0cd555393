import { randomBytes } from "node:crypto";
import { type AdminActor, type AuditAction, type AuditStore, auditEntry } from "../audit/audit-entry.ts";
import type { ApiKey, KeyPatch, KeyStore, NewApiKey } from "./api-key.ts";
import { issueKey } from "./secret.ts";

/** What a key's creator chooses; identity and secret are the service's. */
export type KeySettings = Omit<NewApiKey, "id" | "key_hash" | "key_prefix" | "created_at">;

/** A key with its secret: returned only at creation and rotation, never stored. */
export interface KeyWithSecret {
  key: ApiKey;
  secret: string;
}

/**
 * Issuing, rotating and revoking keys: the one place secrets are made. Admin API, portal and CLI all
 * go through it, so a key is the same whichever created it, and every change is in the audit log with
 * who made it.
 */
export class KeyService {
  /** `onChange`: after a key changed, so this replica's caches see it at once. */
  constructor(
    private readonly keys: KeyStore & AuditStore,
    private readonly onChange: () => void = () => {},
  ) {}

  async create(settings: KeySettings, actor: AdminActor): Promise<KeyWithSecret> {
    const issued = issueKey();
    const key = await this.keys.createKey({ ...settings, id: newKeyId(), key_hash: issued.hash, key_prefix: issued.displayPrefix });
    await this.audit(actor, "key.create", key.id, undefined, key);
    return { key, secret: issued.secret };
  }

  /**
   * A new secret for the same key (same id, limits, usage and budget): the store swaps the hash in
   * one atomic step, so the old secret stops working exactly when the new one starts to.
   */
  async rotate(id: string, actor: AdminActor): Promise<KeyWithSecret | undefined> {
    const issued = issueKey();
    const before = await this.keys.getKey(id);
    const key = await this.changed(this.keys.rotateKeyHash(id, issued.hash, issued.displayPrefix));
    if (key) await this.audit(actor, "key.rotate", id, before, key);
    return key && { key, secret: issued.secret };
  }

  async update(id: string, patch: KeyPatch, actor: AdminActor): Promise<ApiKey | undefined> {
    const before = await this.keys.getKey(id);
    const key = await this.changed(this.keys.updateKey(id, patch));
    if (key) await this.audit(actor, updateAction(before, key), id, before, key);
    return key;
  }

  revoke(id: string, actor: AdminActor, reason = "revoked by an operator"): Promise<ApiKey | undefined> {
    return this.update(id, { status: "revoked", status_reason: reason }, actor);
  }

  private async changed(change: Promise<ApiKey | undefined>): Promise<ApiKey | undefined> {
    const key = await change;
    this.onChange();
    return key;
  }

  /** After the change: an entry is only written for what happened. */
  private async audit(actor: AdminActor, action: AuditAction, id: string, before: ApiKey | undefined, after: ApiKey): Promise<void> {
    await this.keys.appendAudit(auditEntry(actor, action, id, before ? auditedKey(before) : null, auditedKey(after)));
  }
}

/** A status change is named for the status it reaches; any other change is an update. */
function updateAction(before: ApiKey | undefined, after: ApiKey): AuditAction {
  if (before === undefined || before.status === after.status) return "key.update";
  return after.status === "active" ? "key.enable" : after.status === "disabled" ? "key.disable" : "key.revoke";
}

/** A key as the log keeps it: never its hash (nor a secret, which no key holds), nor its last use (not a change). */
export function auditedKey({ key_hash: _hash, last_used_at: _used, ...key }: ApiKey) {
  return key;
}

function newKeyId(): string {
  return `key_${randomBytes(12).toString("base64url")}`;
}
