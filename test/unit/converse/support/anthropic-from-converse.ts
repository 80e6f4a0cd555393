/**
 * The Anthropic request a client would have sent to produce a recorded Converse request body (for the
 * block kinds the captures use). Converting it back must give the recorded body: a round-trip golden
 * test against what real Bedrock accepted.
 */
type Json = Record<string, unknown>;

const asArray = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const decode = (base64: string) => Buffer.from(base64, "base64").toString("utf8");

export function anthropicFromConverse(body: Json): Json {
  const request: Json = {
    messages: asArray(body["messages"]).map((message) => ({ role: message["role"], content: withCacheControl(asArray(message["content"]), toBlock) })),
  };
  const system = withCacheControl(asArray(body["system"]), (block) => ({ type: "text", text: block["text"] }));
  if (system.length > 0) request["system"] = system;
  const toolConfig = body["toolConfig"] as Json | undefined;
  if (toolConfig) {
    request["tools"] = withCacheControl(asArray(toolConfig["tools"]), (tool) => {
      const spec = tool["toolSpec"] as Json;
      return { name: spec["name"], ...(spec["description"] ? { description: spec["description"] } : {}), input_schema: (spec["inputSchema"] as Json)["json"] };
    });
    const choice = toolConfig["toolChoice"] as Json | undefined;
    if (choice) request["tool_choice"] = { type: Object.keys(choice)[0], ...((choice["tool"] as Json | undefined) ?? {}) };
  }
  const thinking = (body["additionalModelRequestFields"] as Json | undefined)?.["thinking"] as Json | undefined;
  if (thinking) request["thinking"] = thinking;
  const inference = (body["inferenceConfig"] as Json | undefined) ?? {};
  request["max_tokens"] = inference["maxTokens"] ?? ((thinking?.["budget_tokens"] as number | undefined) ?? 0) + 4096;
  if (inference["temperature"] !== undefined) request["temperature"] = inference["temperature"];
  return request;
}

/** Converse puts a cachePoint after a block; Anthropic puts cache_control on it. */
function withCacheControl(blocks: Json[], convert: (block: Json) => Json): Json[] {
  const converted: Json[] = [];
  for (const block of blocks) {
    const previous = converted.at(-1);
    if (block["cachePoint"] && previous) previous["cache_control"] = { type: "ephemeral" };
    else converted.push(convert(block));
  }
  return converted;
}

function toBlock(block: Json): Json {
  if (typeof block["text"] === "string") return { type: "text", text: block["text"] };
  const reasoning = block["reasoningContent"] as Json | undefined;
  if (reasoning?.["reasoningText"]) {
    const { text, signature } = reasoning["reasoningText"] as Json;
    return { type: "thinking", thinking: text, signature };
  }
  if (reasoning?.["redactedContent"]) return { type: "redacted_thinking", data: decode(reasoning["redactedContent"] as string) };
  if (block["toolUse"]) {
    const { toolUseId, name, input } = block["toolUse"] as Json;
    return { type: "tool_use", id: toolUseId, name, input };
  }
  if (block["toolResult"]) {
    const { toolUseId, content, status } = block["toolResult"] as Json;
    return { type: "tool_result", tool_use_id: toolUseId, content: asArray(content).map(toBlock), ...(status === "error" ? { is_error: true } : {}) };
  }
  if (block["document"]) {
    const { name, format, source } = block["document"] as Json;
    if (format !== "txt") throw new Error(`document format ${String(format)} not mapped`);
    return { type: "document", title: name, source: { type: "text", media_type: "text/plain", data: decode((source as Json)["bytes"] as string) } };
  }
  throw new Error(`block ${JSON.stringify(Object.keys(block))} not mapped`);
}

/** The recorded body as our rules would send it: blank texts dropped, an empty `system` left out. */
export function normalisedRecordedBody(body: Json): Json {
  const dropBlank = (blocks: Json[]) => {
    const kept: Json[] = [];
    for (const block of blocks) {
      if (typeof block["text"] === "string" && block["text"].trim() === "") continue;
      if (block["cachePoint"] && (kept.length === 0 || kept.at(-1)?.["cachePoint"])) continue;
      kept.push(block);
    }
    return kept;
  };
  const normalised: Json = { messages: asArray(body["messages"]).map((message) => ({ ...message, content: dropBlank(asArray(message["content"])) })) };
  const system = dropBlank(asArray(body["system"]));
  if (system.length > 0) normalised["system"] = system;
  if (body["toolConfig"]) normalised["toolConfig"] = body["toolConfig"];
  if (body["additionalModelRequestFields"]) normalised["additionalModelRequestFields"] = body["additionalModelRequestFields"];
  return normalised;
}
