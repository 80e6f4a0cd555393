import { type AdminActor, type AuditStore, auditEntry } from "./audit/audit-entry.ts";
import type { AliasStore, ModelAlias, ModelAliasInput } from "./model-alias.ts";
import type { ModelPrice, ModelPriceInput, PricingStore } from "./pricing/model-price.ts";

/**
 * An operator's edits of prices and model aliases (admin API and portal alike): each lands in the
 * store, is logged in the audit log with who made it, and tells this replica to reload.
 */
export class ModelSettingsService {
  constructor(
    private readonly store: PricingStore & AliasStore & AuditStore,
    private readonly reload: { onPricesChanged(): void; onAliasesChanged(): void },
  ) {}

  async putPrice(input: ModelPriceInput, actor: AdminActor): Promise<ModelPrice> {
    const before = await this.store.getPrice(input.model_id);
    const after = await this.store.putPrice(input);
    this.reload.onPricesChanged();
    await this.store.appendAudit(auditEntry(actor, "price.set", after.model_id, before ?? null, after));
    return after;
  }

  /** False when no price was set for the model. */
  async deletePrice(modelId: string, actor: AdminActor): Promise<boolean> {
    const before = await this.store.getPrice(modelId);
    if (!(await this.store.deletePrice(modelId))) return false;
    this.reload.onPricesChanged();
    await this.store.appendAudit(auditEntry(actor, "price.delete", modelId, before ?? null, null));
    return true;
  }

  async putAlias(input: ModelAliasInput, actor: AdminActor): Promise<ModelAlias> {
    const before = await this.store.getAlias(input.alias);
    const after = await this.store.putAlias(input);
    this.reload.onAliasesChanged();
    await this.store.appendAudit(auditEntry(actor, "alias.set", after.alias, before ?? null, after));
    return after;
  }

  /** False when no such alias. */
  async deleteAlias(alias: string, actor: AdminActor): Promise<boolean> {
    const before = await this.store.getAlias(alias);
    if (!(await this.store.deleteAlias(alias))) return false;
    this.reload.onAliasesChanged();
    await this.store.appendAudit(auditEntry(actor, "alias.delete", alias, before ?? null, null));
    return true;
  }
}
