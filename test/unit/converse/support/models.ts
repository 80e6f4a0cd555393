/** Resolved models as the lead's resolver builds them, forced onto the Converse route. */
import { profileFor, type ModelProfile, type ResolvedModel } from "../../../../src/bedrock/models.ts";

export function converseModel(modelId: string, requested = modelId, profile: Partial<ModelProfile> = {}): ResolvedModel {
  return { requested, modelId, route: "converse", profile: { ...profileFor(modelId), ...profile } };
}

export const claudeSonnet45 = converseModel("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5");
export const claudeSonnet46 = converseModel("us.anthropic.claude-sonnet-4-6", "claude-sonnet-4-6");
export const claude37 = converseModel("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet-20250219");
export const claude3Haiku = converseModel("anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku-20240307");
export const novaPro = converseModel("us.amazon.nova-pro-v1:0");
export const qwen = converseModel("qwen.qwen3-coder-480b-a35b-v1:0");
