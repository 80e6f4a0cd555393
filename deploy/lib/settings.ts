/**
 * Every setting of the deployment, each a CDK context value (`cdk deploy -c name=value`, or `context` in
 * cdk.json) with a default. deploy/README.md has the same table for operators; a test keeps the two equal.
 * Values from the command line arrive as strings, from cdk.json as JSON: each reader takes both.
 */

/** The part of a construct node the settings are read from (`app.node` or `stack.node`). */
export interface ContextSource {
  tryGetContext(key: string): unknown;
}

/** The proxy's own model defaults (src/config.ts); a test proves they agree. */
export const proxyModelDefaults = {
  opusModel: "global.anthropic.claude-opus-4-6-v1",
  sonnetModel: "global.anthropic.claude-sonnet-4-6",
  haikuModel: "global.anthropic.claude-haiku-4-5-20251001-v1:0",
};

export interface Settings {
  stackName: string;
  tablePrefix: string;
  retainData: boolean;
  vpcCidr: string;
  natGateways: number;
  certificateArn: string | undefined;
  domainName: string | undefined;
  allowedCidr: string;
  internalLoadBalancer: boolean;
  streamLimitS: number;
  proxyCpu: number;
  proxyMemoryMiB: number;
  proxyMinTasks: number;
  proxyMaxTasks: number;
  cpuTargetPercent: number;
  requestsPerTarget: number;
  proxyImage: string | undefined;
  proxyEnvironment: Record<string, string>;
  opusModel: string;
  sonnetModel: string;
  haikuModel: string;
  modelMap: Record<string, string>;
  listBedrockModels: boolean;
  cacheNodeType: string;
  cacheNodes: number;
  sandbox: boolean;
  sandboxInstanceType: string;
  sandboxMaxSessions: number;
  sandboxImage: string | undefined;
  sandboxRuntimeImage: string | undefined;
  cognito: boolean;
  cognitoDomainPrefix: string | undefined;
  adminGroup: string;
  logRetentionDays: number;
}

/** Variables proxyEnvironment may not set: secrets come from Secrets Manager, the rest from the settings above. */
export const reservedVariables = [
  "MASTER_API_KEY",
  "SANDBOX_TOKEN",
  "OIDC_CLIENT_SECRET",
  "AWS_BEARER_TOKEN_BEDROCK",
  "METRICS_TOKEN",
  "STORE",
  "DYNAMODB_TABLE_PREFIX",
  "REDIS_URL",
  "SANDBOX_URL",
  "ADMIN_AUTH",
];

export function readSettings(source: ContextSource): Settings {
  const read = new Reader(source);
  const settings: Settings = {
    stackName: read.text("stackName", "AnthropicBedrockProxy"),
    tablePrefix: read.text("tablePrefix", "bedrock-proxy-"),
    retainData: read.flag("retainData", true),
    vpcCidr: read.text("vpcCidr", "10.0.0.0/16"),
    natGateways: read.count("natGateways", 2, 1),
    certificateArn: read.optionalText("certificateArn"),
    domainName: read.optionalText("domainName"),
    allowedCidr: read.text("allowedCidr", "0.0.0.0/0"),
    internalLoadBalancer: read.flag("internalLoadBalancer", false),
    streamLimitS: read.count("streamLimitS", 900, 60),
    proxyCpu: read.count("proxyCpu", 1024, 256),
    proxyMemoryMiB: read.count("proxyMemoryMiB", 2048, 512),
    proxyMinTasks: read.count("proxyMinTasks", 2, 2),
    proxyMaxTasks: read.count("proxyMaxTasks", 10, 2),
    cpuTargetPercent: read.count("cpuTargetPercent", 60, 10),
    requestsPerTarget: read.count("requestsPerTarget", 1000, 1),
    proxyImage: read.optionalText("proxyImage"),
    proxyEnvironment: read.stringRecord("proxyEnvironment"),
    ...proxyModels(read),
    listBedrockModels: read.flag("listBedrockModels", false),
    cacheNodeType: read.text("cacheNodeType", "cache.t4g.small"),
    cacheNodes: read.count("cacheNodes", 2, 1),
    sandbox: read.flag("sandbox", true),
    sandboxInstanceType: read.text("sandboxInstanceType", "m7i.large"),
    sandboxMaxSessions: read.count("sandboxMaxSessions", 20, 1),
    sandboxImage: read.optionalText("sandboxImage"),
    sandboxRuntimeImage: read.optionalText("sandboxRuntimeImage"),
    cognito: read.flag("cognito", false),
    cognitoDomainPrefix: read.optionalText("cognitoDomainPrefix"),
    adminGroup: read.text("adminGroup", "proxy-admins"),
    logRetentionDays: read.count("logRetentionDays", 30, 1),
  };
  checkCombinations(settings);
  return settings;
}

function proxyModels(read: Reader) {
  return {
    opusModel: read.text("opusModel", proxyModelDefaults.opusModel),
    sonnetModel: read.text("sonnetModel", proxyModelDefaults.sonnetModel),
    haikuModel: read.text("haikuModel", proxyModelDefaults.haikuModel),
    modelMap: read.stringRecord("modelMap"),
  };
}

/** Mistakes that would otherwise surface only at deploy time, or as a proxy that refuses to start. */
function checkCombinations(settings: Settings): void {
  if (settings.proxyMaxTasks < settings.proxyMinTasks) throw new SettingError("proxyMaxTasks", "must be at least proxyMinTasks");
  const reserved = Object.keys(settings.proxyEnvironment).filter((name) => reservedVariables.includes(name));
  if (reserved.length > 0) throw new SettingError("proxyEnvironment", `may not set ${reserved.join(", ")} (secrets and wiring come from the stack)`);
  if (!settings.cognito) return;
  // The proxy takes an https callback only (src/config.ts): sign-in needs the certificate and the name it is for.
  if (settings.certificateArn === undefined || settings.domainName === undefined) throw new SettingError("cognito", "needs certificateArn and domainName (the portal's callback must be https)");
  if (settings.cognitoDomainPrefix === undefined) throw new SettingError("cognito", "needs cognitoDomainPrefix (the sign-in page's domain, unique in the region)");
}

export class SettingError extends Error {
  override name = "SettingError";
  constructor(setting: string, message: string) {
    super(`context value ${setting} ${message}`);
  }
}

class Reader {
  constructor(private readonly source: ContextSource) {}

  optionalText(key: string): string | undefined {
    const value = this.source.tryGetContext(key);
    if (value === undefined || value === null || value === "") return undefined;
    if (typeof value !== "string") throw new SettingError(key, "must be a string");
    return value;
  }

  text(key: string, fallback: string): string {
    return this.optionalText(key) ?? fallback;
  }

  flag(key: string, fallback: boolean): boolean {
    const value = this.source.tryGetContext(key);
    if (value === undefined) return fallback;
    if (value === true || value === "true") return true;
    if (value === false || value === "false") return false;
    throw new SettingError(key, "must be true or false");
  }

  count(key: string, fallback: number, minimum: number): number {
    const value = this.source.tryGetContext(key);
    if (value === undefined) return fallback;
    const parsed = typeof value === "string" ? Number(value) : value;
    if (typeof parsed !== "number" || !Number.isInteger(parsed) || parsed < minimum) throw new SettingError(key, `must be a whole number, at least ${minimum}`);
    return parsed;
  }

  /** A JSON object of strings (from the command line, its text). */
  stringRecord(key: string): Record<string, string> {
    const value = this.source.tryGetContext(key);
    if (value === undefined || value === "") return {};
    const parsed: unknown = typeof value === "string" ? parseJson(key, value) : value;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new SettingError(key, "must be a JSON object");
    const entries = Object.entries(parsed);
    if (!entries.every((entry): entry is [string, string] => typeof entry[1] === "string")) throw new SettingError(key, "must map names to strings");
    return Object.fromEntries(entries);
  }
}

function parseJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SettingError(key, "is not JSON");
  }
}
