import { validationError } from "./errors.ts";

/**
 * The control-plane reads the proxy needs (`ListFoundationModels`, `ListInferenceProfiles`), answered
 * from a small fixed catalogue shaped as `@aws-sdk/client-bedrock` deserialises it. Built once at load.
 */

type Geography = "global" | "us" | "eu";

interface CatalogueModel {
  modelId: string;
  modelName: string;
  providerName: string;
  inputModalities: string[];
  inferenceTypesSupported: string[];
  /** The cross-region inference profiles that serve it. */
  geographies: Geography[];
}

const textAndImage = ["TEXT", "IMAGE"];
const claude = (modelId: string, modelName: string, geographies: Geography[]): CatalogueModel => ({
  modelId,
  modelName,
  providerName: "Anthropic",
  inputModalities: textAndImage,
  inferenceTypesSupported: ["INFERENCE_PROFILE"],
  geographies,
});

const catalogue: CatalogueModel[] = [
  claude("anthropic.claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.5", ["global", "us", "eu"]),
  claude("anthropic.claude-sonnet-4-6", "Claude Sonnet 4.6", ["global", "us", "eu"]),
  claude("anthropic.claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.5", ["global", "us"]),
  claude("anthropic.claude-opus-4-5-20251101-v1:0", "Claude Opus 4.5", ["global", "us"]),
  claude("anthropic.claude-opus-4-6-v1", "Claude Opus 4.6", ["global", "us"]),
  { modelId: "qwen.qwen3-coder-480b-a35b-v1:0", modelName: "Qwen3 Coder 480B A35B Instruct", providerName: "Qwen", inputModalities: ["TEXT"], inferenceTypesSupported: ["ON_DEMAND"], geographies: [] },
  { modelId: "deepseek.r1-v1:0", modelName: "DeepSeek-R1", providerName: "DeepSeek", inputModalities: ["TEXT"], inferenceTypesSupported: ["INFERENCE_PROFILE"], geographies: ["us"] },
  { modelId: "amazon.nova-pro-v1:0", modelName: "Nova Pro", providerName: "Amazon", inputModalities: ["TEXT", "IMAGE", "VIDEO"], inferenceTypesSupported: ["ON_DEMAND", "INFERENCE_PROFILE"], geographies: ["us"] },
  { modelId: "minimax.minimax-m2", modelName: "MiniMax M2", providerName: "MiniMax", inputModalities: ["TEXT"], inferenceTypesSupported: ["ON_DEMAND"], geographies: [] },
  { modelId: "moonshot.kimi-k2-thinking", modelName: "Kimi K2 Thinking", providerName: "Moonshot AI", inputModalities: ["TEXT"], inferenceTypesSupported: ["ON_DEMAND"], geographies: [] },
];

const homeRegion = "us-east-1";
const accountId = "123456789012";
const geographyRegions: Record<Geography, string[]> = {
  global: ["", "us-east-1", "us-east-2", "us-west-2"],
  us: ["us-east-1", "us-east-2", "us-west-2"],
  eu: ["eu-central-1", "eu-west-1", "eu-west-3"],
};
const geographyLabels: Record<Geography, string> = { global: "Global", us: "US", eu: "EU" };
const profileTimestamp = "2025-09-29T00:00:00Z";

const foundationModelArn = (region: string, modelId: string) => `arn:aws:bedrock:${region}::foundation-model/${modelId}`;

const modelSummaries = catalogue.map((model) => ({
  modelArn: foundationModelArn(homeRegion, model.modelId),
  modelId: model.modelId,
  modelName: model.modelName,
  providerName: model.providerName,
  inputModalities: model.inputModalities,
  outputModalities: ["TEXT"],
  responseStreamingSupported: true,
  customizationsSupported: [],
  inferenceTypesSupported: model.inferenceTypesSupported,
  modelLifecycle: { status: "ACTIVE" },
}));

const inferenceProfileSummaries = catalogue.flatMap((model) =>
  model.geographies.map((geography) => {
    const inferenceProfileId = `${geography}.${model.modelId}`;
    const regions = geographyRegions[geography];
    return {
      inferenceProfileName: `${geographyLabels[geography]} ${model.providerName} ${model.modelName}`,
      inferenceProfileArn: `arn:aws:bedrock:${homeRegion}:${accountId}:inference-profile/${inferenceProfileId}`,
      inferenceProfileId,
      description: `Routes requests to ${model.modelName} in ${regions.filter(Boolean).join(", ")}.`,
      createdAt: profileTimestamp,
      updatedAt: profileTimestamp,
      models: regions.map((region) => ({ modelArn: foundationModelArn(region, model.modelId) })),
      status: "ACTIVE",
      type: "SYSTEM_DEFINED",
    };
  }),
);

export function listFoundationModels(query: URLSearchParams): Response {
  const provider = query.get("byProvider")?.toLowerCase();
  const inferenceType = query.get("byInferenceType");
  const outputModality = query.get("byOutputModality");
  const selected = modelSummaries.filter(
    (model) =>
      (!provider || model.providerName.toLowerCase() === provider) &&
      (!inferenceType || model.inferenceTypesSupported.includes(inferenceType)) &&
      (!outputModality || model.outputModalities.includes(outputModality)) &&
      !query.get("byCustomizationType"),
  );
  return Response.json({ modelSummaries: selected });
}

const maxPageSize = 1000;

export function listInferenceProfiles(query: URLSearchParams): Response {
  const pageSize = Number(query.get("maxResults") ?? maxPageSize);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > maxPageSize) {
    return validationError(`1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value between 1 and ${maxPageSize}`);
  }
  const token = query.get("nextToken");
  const start = token === null ? 0 : pageStart(token);
  if (start === undefined) return validationError("The provided pagination token is invalid.");
  const profiles = query.get("type") === "APPLICATION" ? [] : inferenceProfileSummaries;
  const end = start + pageSize;
  return Response.json({
    inferenceProfileSummaries: profiles.slice(start, end),
    ...(end < profiles.length ? { nextToken: btoa(`offset:${end}`) } : {}),
  });
}

function pageStart(token: string): number | undefined {
  const match = /^offset:(\d+)$/.exec(safeAtob(token));
  return match ? Number(match[1]) : undefined;
}

function safeAtob(text: string): string {
  try {
    return atob(text);
  } catch {
    return "";
  }
}
