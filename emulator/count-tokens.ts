import { z } from "zod";
import { profileFor } from "../src/bedrock/models.ts";
import type { Check } from "./check.ts";
import { validationError } from "./errors.ts";
import { malformedRequest, notJson, parseJson } from "./json.ts";
import { converseFacts, invokeFacts, type RequestFacts } from "./request-facts.ts";
import { checkConverse } from "./validate-converse.ts";
import { checkInvoke } from "./validate-invoke.ts";
import { bedrockConstraint, firstIssueMessage } from "./validation-message.ts";

/**
 * CountTokens: the inner request is validated exactly as the operation it stands for would be,
 * and counted the way that operation reports input usage. Never consumes a scripted turn.
 */

const countTokensSchema = z.strictObject({
  input: z
    .strictObject({ converse: z.unknown().optional(), invokeModel: z.strictObject({ body: z.string() }).optional() })
    .refine((input) => (input.converse === undefined) !== (input.invokeModel === undefined), {
      message: "Member must have exactly one member set",
    }),
});

export function countTokens(modelId: string, body: unknown): Response {
  if (!profileFor(modelId).countTokens) return validationError("The provided model doesn't support counting tokens.");
  const parsed = countTokensSchema.safeParse(body, { error: bedrockConstraint });
  if (!parsed.success) return validationError(firstIssueMessage(parsed.error));
  const { converse, invokeModel } = parsed.data.input;
  const facts = invokeModel ? invokeModelFacts(modelId, invokeModel.body) : checkedFacts(checkConverse(modelId, converse), converseFacts);
  return typeof facts === "string" ? validationError(facts) : Response.json({ inputTokens: facts.inputTokens });
}

function checkedFacts<Request>(checked: Check<Request>, facts: (request: Request) => RequestFacts): RequestFacts | string {
  return checked.ok ? facts(checked.request) : checked.message;
}

/** The body is a blob, so the SDK sends it base64-encoded; a raw JSON string is taken too. */
function invokeModelFacts(modelId: string, body: string): RequestFacts | string {
  const text = body.trimStart().startsWith("{") ? body : Buffer.from(body, "base64").toString("utf8");
  const parsed = parseJson(text);
  return parsed === notJson ? malformedRequest : checkedFacts(checkInvoke(modelId, parsed), invokeFacts);
}
