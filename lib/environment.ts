import type { z } from "zod";

/** A wrong setting: start-up stops with a message naming each bad variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Validates the environment against a service's zod schema (the proxy's, the sandbox's). Empty
 * variables count as unset, so `FOO=` falls back to the default.
 */
export function parseEnvironment<T extends z.ZodType>(schema: T, env: Record<string, string | undefined>, title: string): z.infer<T> {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".") || "(environment)"}: ${issue.message}`);
  throw new ConfigError(`Invalid ${title}:\n${lines.join("\n")}`);
}
