import type { ContentBlockParam, MessageParam, MessagesRequest, ToolParam } from "../../anthropic/schema.ts";
import type { Logger } from "../../../lib/log.ts";
import { ownEntry } from "../../own-entry.ts";
import { acceptedBetas } from "../betas.ts";
import type { PreparedRequest } from "../prepare.ts";

/**
 * The Anthropic body as Bedrock's InvokeModel takes it for Claude: `anthropic_version` and
 * `anthropic_beta` inside the body, no `model` or `stream`, and nothing Bedrock does not know
 * (it answers "extraneous key" for any other field). A field that Bedrock serves under a beta is
 * kept, with its beta, when the model accepts that beta, whether or not the client named it.
 */

export const bedrockAnthropicVersion = "bedrock-2023-05-31";

/** Top-level fields Bedrock accepts, and the beta each needs when it needs one. */
const acceptedFields: Partial<Record<keyof MessagesRequest, string | true>> = {
  max_tokens: true,
  messages: true,
  system: true,
  stop_sequences: true,
  temperature: true,
  top_p: true,
  top_k: true,
  tools: true,
  tool_choice: true,
  thinking: true,
  output_config: true,
  context_management: "context-management-2025-06-27",
};

/** `output_config` members: the effort goes under its beta, the structured-outputs format (GA) with none. */
const outputConfigFields: Record<string, string | true> = {
  effort: "effort-2025-11-24",
  format: true,
};

/**
 * Tool fields that belong to features Bedrock serves under a beta, or not at all. `strict` is GA
 * (structured outputs); prepare has already refused it for a model without them.
 */
const toolFieldBetas: Record<string, string | true | undefined> = {
  input_examples: "tool-examples-2025-10-29",
  defer_loading: "tool-search-tool-2025-10-19",
  allowed_callers: undefined,
  strict: true,
};

export type InvokeBody = Record<string, unknown> & { anthropic_version: string; anthropic_beta?: string[] };

export function toInvokeBody({ request, betas, model }: PreparedRequest, log: Logger): InvokeBody {
  const forwarded = new Set(betas.forwarded);
  const admits = betaGate(acceptedBetas(model.modelId), forwarded);
  const body: InvokeBody = { anthropic_version: bedrockAnthropicVersion };
  for (const [key, value] of Object.entries(request)) {
    const needs = ownEntry(acceptedFields, key);
    if (needs !== undefined && value !== undefined && admits(needs)) body[key] = value;
    else if (value !== undefined) log.debug("field not forwarded to Bedrock", { field: key });
  }
  const outputConfig = request.output_config && fitOutputConfig(request.output_config, admits, log);
  if (outputConfig) body.output_config = outputConfig;
  else delete body.output_config;
  if (request.tools) body.tools = request.tools.map((tool) => fitTool(tool, admits, log));
  body.messages = request.messages.map(stripCallers);
  if (forwarded.size > 0) body.anthropic_beta = [...forwarded];
  return body;
}

/** Whether a field needing `beta` may go; when it may, its beta is added to those forwarded. */
function betaGate(accepted: ReadonlySet<string>, forwarded: Set<string>) {
  return (needs: string | true | undefined): boolean => {
    if (needs === true) return true;
    if (needs === undefined || !accepted.has(needs)) return false;
    forwarded.add(needs);
    return true;
  };
}

function fitOutputConfig(config: NonNullable<MessagesRequest["output_config"]>, admits: ReturnType<typeof betaGate>, log: Logger) {
  const fitted: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(config)) {
    if (admits(ownEntry(outputConfigFields, field))) fitted[field] = value;
    else log.debug("output_config field not forwarded to Bedrock", { field });
  }
  return Object.keys(fitted).length > 0 ? fitted : undefined;
}

function fitTool(tool: ToolParam, admits: ReturnType<typeof betaGate>, log: Logger): ToolParam {
  const fitted: Record<string, unknown> = { ...tool };
  for (const [field, beta] of Object.entries(toolFieldBetas)) {
    if (!(field in fitted) || admits(beta)) continue;
    log.debug("tool field not forwarded to Bedrock", { tool: tool.name, field });
    delete fitted[field];
  }
  return fitted as ToolParam;
}

/**
 * Responses of programmatic tool calling mark each tool_use with its `caller`; clients echo it
 * back, and Bedrock rejects the unknown field.
 */
function stripCallers(message: MessageParam): MessageParam {
  if (typeof message.content === "string" || !message.content.some(hasCaller)) return message;
  return { ...message, content: message.content.map((block) => (hasCaller(block) ? withoutCaller(block) : block)) };
}

function hasCaller(block: ContentBlockParam): boolean {
  return block.type === "tool_use" && "caller" in block;
}

function withoutCaller(block: ContentBlockParam): ContentBlockParam {
  const { caller: _caller, ...rest } = block as ContentBlockParam & { caller?: unknown };
  return rest as ContentBlockParam;
}
