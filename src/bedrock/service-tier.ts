import { z } from "zod";

/**
 * Bedrock's service tiers (`serviceTier` on the runtime API: `flex`, `priority`, `reserved` for
 * provisioned capacity), plus `default`, which asks for none. A key's setting in the gateway and the
 * tier an upstream call requests; here, below both, so Bedrock's side needs nothing of the gateway.
 */
export const serviceTierSchema = z.enum(["default", "flex", "priority", "reserved"]);
export type ServiceTier = z.infer<typeof serviceTierSchema>;
