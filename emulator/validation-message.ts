import type { z } from "zod";
import { malformedRequest } from "./json.ts";

/**
 * Structural errors in Bedrock's words: "1 validation error detected: Value at 'path' failed to satisfy
 * constraint: Member must …". The error map words each zod issue as a Smithy constraint.
 */

export const bedrockConstraint: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined ? "Member must not be null" : `Member must be of type ${issue.expected}`;
    case "invalid_value":
      return `Member must satisfy enum value set: [${issue.values.map(String).join(", ")}]`;
    case "too_small":
      return issue.origin === "array" || issue.origin === "string"
        ? `Member must have length greater than or equal to ${issue.minimum}`
        : `Member must have value greater than or equal to ${issue.minimum}`;
    case "too_big":
      return issue.origin === "array" || issue.origin === "string"
        ? `Member must have length less than or equal to ${issue.maximum}`
        : `Member must have value less than or equal to ${issue.maximum}`;
    case "unrecognized_keys":
      return `Member must not contain unknown members [${issue.keys.join(", ")}]`;
    case "invalid_format":
      return issue.pattern ? `Member must satisfy regular expression pattern: ${issue.pattern}` : `Member must be a valid ${issue.format}`;
    default:
      return undefined;
  }
};

/** Bedrock reports the first violation it finds; so do we. */
export function firstIssueMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return malformedRequest;
  const path = issue.path.map(String).join(".");
  return `1 validation error detected: Value at '${path}' failed to satisfy constraint: ${issue.message}`;
}

/** InvokeModel bodies reach Anthropic's own validation, which words constraints the pydantic way. */
export const anthropicConstraint: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined ? "Field required" : `Input should be a valid ${issue.expected}`;
    case "invalid_value":
      return `Input should be ${issue.values.map((value) => `'${String(value)}'`).join(" or ")}`;
    case "too_small":
      return `Input should be greater than or equal to ${issue.minimum}`;
    case "too_big":
      return `Input should be less than or equal to ${issue.maximum}`;
    case "unrecognized_keys":
      return "Extra inputs are not permitted";
    default:
      return undefined;
  }
};

/** Pydantic names the extra key itself in the path (`metadata.tags: Extra inputs are not permitted`). */
export function firstAnthropicIssueMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "Invalid request";
  const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]] : issue.path;
  return `${path.map(String).join(".")}: ${issue.message}`;
}
