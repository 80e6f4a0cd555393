import { type BedrockClient, ListFoundationModelsCommand, ListInferenceProfilesCommand } from "@aws-sdk/client-bedrock";
import type { Logger } from "../../lib/log.ts";
import type { ModelResolver } from "./models.ts";

/**
 * The models GET /v1/models lists: the proxy's aliases, and (when enabled) the account's Bedrock
 * foundation models and inference profiles, read from the control plane and cached for a while.
 */

export interface ModelInfo {
  type: "model";
  id: string;
  display_name: string;
  created_at: string;
}

export interface ModelCatalog {
  list(): Promise<ModelInfo[]>;
}

const cacheTtlMs = 5 * 60_000;
/** For models whose id carries no date. */
const undatedCreatedAt = "2025-01-01T00:00:00Z";

export function createModelCatalog(resolver: ModelResolver, bedrock: { client: BedrockClient; log: Logger } | undefined): ModelCatalog {
  let cached: { at: number; models: ModelInfo[] } | undefined;
  const listBedrock = async (): Promise<ModelInfo[]> => {
    if (!bedrock) return [];
    if (cached && Date.now() - cached.at < cacheTtlMs) return cached.models;
    try {
      const models = [...(await listInferenceProfiles(bedrock.client)), ...(await listFoundationModels(bedrock.client))];
      cached = { at: Date.now(), models };
      return models;
    } catch (error) {
      bedrock.log.warn("could not list Bedrock models", { error });
      return cached?.models ?? [];
    }
  };
  return {
    async list() {
      const aliases = [...resolver.aliases().keys()].map((id) => modelInfo(id, aliasName(id)));
      const seen = new Set(aliases.map((m) => m.id));
      return [...aliases, ...(await listBedrock()).filter((m) => !seen.has(m.id))];
    },
  };
}

async function listFoundationModels(client: BedrockClient): Promise<ModelInfo[]> {
  const output = await client.send(new ListFoundationModelsCommand({}));
  return (output.modelSummaries ?? []).flatMap((m) => (m.modelId ? [modelInfo(m.modelId, `${m.providerName ?? ""} ${m.modelName ?? m.modelId}`.trim())] : []));
}

async function listInferenceProfiles(client: BedrockClient): Promise<ModelInfo[]> {
  const models: ModelInfo[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListInferenceProfilesCommand({ maxResults: 1000, nextToken }));
    for (const p of page.inferenceProfileSummaries ?? []) {
      if (p.inferenceProfileId) models.push(modelInfo(p.inferenceProfileId, p.inferenceProfileName ?? p.inferenceProfileId, p.createdAt));
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return models;
}

export function modelInfo(id: string, displayName: string, createdAt?: Date): ModelInfo {
  return { type: "model", id, display_name: displayName, created_at: createdAt?.toISOString() ?? dateInId(id) ?? undatedCreatedAt };
}

function dateInId(id: string): string | undefined {
  const match = /(20\d\d)(\d\d)(\d\d)/.exec(id);
  return match ? `${match[1]}-${match[2]}-${match[3]}T00:00:00Z` : undefined;
}

/** `claude-sonnet-4-5-20250929` → `Claude Sonnet 4.5`; a bare family name → `Claude Sonnet (default)`. */
function aliasName(id: string): string {
  const words = id.replace(/-\d{8}$/, "").split("-");
  const title = words.map((w) => (/^\d+$/.test(w) ? w : w.charAt(0).toUpperCase() + w.slice(1))).join(" ");
  const versioned = title.replace(/(\d+) (\d+)/g, "$1.$2");
  return /^(opus|sonnet|haiku)$/.test(id) ? `Claude ${versioned} (default)` : versioned;
}
