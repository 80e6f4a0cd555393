import { Aws } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { Settings } from "./settings.ts";

/**
 * What the proxy may call on Bedrock (src/bedrock/client.ts): InvokeModel and its stream (Converse and
 * ConverseStream authorise as these two), CountTokens, and, only with LIST_BEDROCK_MODELS, the control
 * plane's two listings. Only on the models the settings name: the family defaults and MODEL_MAP's
 * targets. A model reached through an inference profile needs the profile and the foundation model in
 * each region the profile routes to; a global profile also the region-less foundation model ARN
 * (Bedrock user guide, "Prerequisites for inference profiles").
 */
export const invokeActions = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", "bedrock:CountTokens"];
/** These take no resource narrower than `*` (Service Authorization Reference for Amazon Bedrock). */
export const listActions = ["bedrock:ListFoundationModels", "bedrock:ListInferenceProfiles"];

/** The Bedrock ids (or ARNs) the proxy sends requests to. */
export function configuredModels(settings: Settings): string[] {
  return [...new Set([settings.opusModel, settings.sonnetModel, settings.haikuModel, ...Object.values(settings.modelMap)])].sort();
}

/** Geographic and global inference profile ids start with one of these (`us.anthropic.…`). */
const profilePrefix = /^(global|us|us-gov|eu|apac|jp|au|ca)\.(.+)$/;

export function modelResources(modelId: string): string[] {
  if (modelId.startsWith("arn:")) return [modelId];
  const partition = Aws.PARTITION;
  const match = profilePrefix.exec(modelId);
  if (!match) return [`arn:${partition}:bedrock:${Aws.REGION}::foundation-model/${modelId}`];
  const [, scope, foundation] = match;
  const resources = [`arn:${partition}:bedrock:${Aws.REGION}:${Aws.ACCOUNT_ID}:inference-profile/${modelId}`, `arn:${partition}:bedrock:*::foundation-model/${foundation}`];
  if (scope === "global") resources.push(`arn:${partition}:bedrock:::foundation-model/${foundation}`);
  return resources;
}

export function bedrockStatements(settings: Settings): iam.PolicyStatement[] {
  const statements = [new iam.PolicyStatement({ sid: "InvokeConfiguredModels", actions: invokeActions, resources: configuredModels(settings).flatMap(modelResources) })];
  if (settings.listBedrockModels) statements.push(new iam.PolicyStatement({ sid: "ListModels", actions: listActions, resources: ["*"] }));
  return statements;
}
