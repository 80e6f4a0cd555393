import { z } from "zod";
import { modelIdSchema } from "../bedrock/model-id.ts";

/** The model aliases operators keep (admin API), and what a store of them must do. */

export const modelAliasSchema = z.strictObject({
  alias: z.string().min(1).max(512),
  model_id: modelIdSchema,
});
export type ModelAliasInput = z.input<typeof modelAliasSchema>;

export interface ModelAlias extends z.infer<typeof modelAliasSchema> {
  updated_at: string;
}

export interface AliasStore {
  getAlias(alias: string): Promise<ModelAlias | undefined>;
  /** Ordered by alias. */
  listAliases(): Promise<ModelAlias[]>;
  putAlias(input: ModelAliasInput): Promise<ModelAlias>;
  deleteAlias(alias: string): Promise<boolean>;
}
