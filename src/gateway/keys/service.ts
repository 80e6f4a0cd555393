import { randomBytes } from "node:crypto";
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
 * Issuing, rotating and revoking keys: the one place secrets are made. Admin API and CLI both go
 * through it, so a key is the same whichever created it.
 */
export class KeyService {
  /** `onChange`: after a key changed, so this replica's caches see it at once. */
  constructor(
    private readonly keys: KeyStore,
    private readonly onChange: () => void = () => {},
  ) {}

  async create(settings: KeySettings): Promise<KeyWithSecret> {
    const issued = issueKey();
    const key = await this.keys.createKey({ ...settings, id: newKeyId(), key_hash: issued.hash, key_prefix: issued.displayPrefix });
    return { key, secret: issued.secret };
  }

  /**
   * A new secret for the same key (same id, limits, usage and budget): the store swaps the hash in
   * one atomic step, so the old secret stops working exactly when the new one starts to.
   */
  async rotate(id: string): Promise<KeyWithSecret | undefined> {
    const issued = issueKey();
    const key = await this.changed(this.keys.rotateKeyHash(id, issued.hash, issued.displayPrefix));
    return key && { key, secret: issued.secret };
  }

  update(id: string, patch: KeyPatch): Promise<ApiKey | undefined> {
    return this.changed(this.keys.updateKey(id, patch));
  }

  revoke(id: string, reason = "revoked by an operator"): Promise<ApiKey | undefined> {
    return this.changed(this.keys.updateKey(id, { status: "revoked", status_reason: reason }));
  }

  private async changed(change: Promise<ApiKey | undefined>): Promise<ApiKey | undefined> {
    const key = await change;
    this.onChange();
    return key;
  }
}

function newKeyId(): string {
  return `key_${randomBytes(12).toString("base64url")}`;
}
