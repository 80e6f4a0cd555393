import { z } from "zod";
import { bedrockIdPattern } from "./model-rules.ts";

/**
 * The Converse request as it arrives on the wire (blobs are base64 strings, unlike the SDK's
 * Uint8Array types). Smithy unions are strict objects with exactly one member set; plain structures
 * are loose so that fields newer than this emulator pass through.
 */

/** A Smithy union: unknown members are rejected, and exactly one known member must be set. */
function union<Shape extends z.ZodRawShape>(shape: Shape) {
  return z
    .strictObject(shape)
    .refine((value) => Object.values(value).filter((member) => member !== undefined).length === 1, {
      message: "Member must have exactly one member set",
    });
}

const bedrockId = z.string().regex(bedrockIdPattern);
const structure = z.looseObject({});

export const imageFormats = ["png", "jpeg", "gif", "webp"] as const;
export const documentFormats = ["pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"] as const;

const s3Location = z.looseObject({ uri: z.string() });

const imageBlock = z.looseObject({
  format: z.enum(imageFormats),
  source: union({ bytes: z.string().optional(), s3Location: s3Location.optional() }),
});

const documentBlock = z.looseObject({
  format: z.enum(documentFormats).optional(),
  name: z.string(),
  source: union({
    bytes: z.string().optional(),
    s3Location: s3Location.optional(),
    text: z.string().optional(),
    content: z.array(structure).optional(),
  }),
});

const cachePointBlock = z.looseObject({ type: z.literal("default"), ttl: z.string().optional() });

const toolResultContentBlock = union({
  json: z.unknown().optional(),
  text: z.string().optional(),
  image: imageBlock.optional(),
  document: documentBlock.optional(),
  video: structure.optional(),
  searchResult: structure.optional(),
});

const contentBlock = union({
  text: z.string().optional(),
  image: imageBlock.optional(),
  document: documentBlock.optional(),
  video: structure.optional(),
  audio: structure.optional(),
  toolUse: z.looseObject({ toolUseId: bedrockId, name: bedrockId, input: z.unknown() }).optional(),
  toolResult: z
    .looseObject({
      toolUseId: bedrockId,
      content: z.array(toolResultContentBlock),
      status: z.enum(["success", "error"]).optional(),
    })
    .optional(),
  guardContent: structure.optional(),
  cachePoint: cachePointBlock.optional(),
  reasoningContent: union({
    reasoningText: z.looseObject({ text: z.string(), signature: z.string().optional() }).optional(),
    redactedContent: z.string().optional(),
  }).optional(),
  citationsContent: structure.optional(),
  searchResult: structure.optional(),
  toolAddition: structure.optional(),
  toolRemoval: structure.optional(),
});

const message = z.looseObject({ role: z.enum(["user", "assistant"]), content: z.array(contentBlock) });

const systemBlock = union({
  text: z.string().optional(),
  guardContent: structure.optional(),
  cachePoint: cachePointBlock.optional(),
});

const tool = union({
  toolSpec: z
    .looseObject({
      name: bedrockId,
      description: z.string().optional(),
      inputSchema: union({ json: z.unknown().optional() }),
      strict: z.boolean().optional(),
    })
    .optional(),
  systemTool: z.looseObject({ name: z.string() }).optional(),
  cachePoint: cachePointBlock.optional(),
});

const toolChoice = union({
  auto: structure.optional(),
  any: structure.optional(),
  tool: z.looseObject({ name: z.string() }).optional(),
});

const probability = z.number().min(0).max(1);

export const converseRequestSchema = z.looseObject({
  /** Optional in the Smithy model; an empty or missing conversation is rejected by the rules. */
  messages: z.array(message).optional(),
  system: z.array(systemBlock).optional(),
  inferenceConfig: z
    .looseObject({
      maxTokens: z.number().int().min(1).optional(),
      temperature: probability.optional(),
      topP: probability.optional(),
      stopSequences: z.array(z.string()).optional(),
    })
    .optional(),
  toolConfig: z.looseObject({ tools: z.array(tool).min(1), toolChoice: toolChoice.optional() }).optional(),
  additionalModelRequestFields: z.record(z.string(), z.unknown()).optional(),
  additionalModelResponseFieldPaths: z.array(z.string()).optional(),
  requestMetadata: z
    .record(z.string(), z.string())
    .refine((pairs) => Object.keys(pairs).length >= 1 && Object.keys(pairs).length <= 16, {
      message: "Member must have between 1 and 16 entries",
    })
    .optional(),
  serviceTier: z.looseObject({ type: z.string() }).optional(),
  performanceConfig: z.looseObject({ latency: z.enum(["standard", "optimized"]) }).optional(),
  outputConfig: z
    .looseObject({
      textFormat: z
        .looseObject({
          type: z.enum(["json_schema"]),
          structure: union({ jsonSchema: z.looseObject({ schema: z.string(), name: z.string().optional(), description: z.string().optional() }).optional() }),
        })
        .optional(),
    })
    .optional(),
});

export type ConverseWireRequest = z.infer<typeof converseRequestSchema>;
export type ConverseWireMessage = z.infer<typeof message>;
export type ConverseWireBlock = z.infer<typeof contentBlock>;
export type ConverseWireToolResultContent = z.infer<typeof toolResultContentBlock>;
