import type { ApiKey } from "../gateway/keys/api-key.ts";

/**
 * A key's settings as the portal's form sends them (strings) and shows them: each field becomes what
 * the admin schemas take (`createKeyBodySchema`, `keyPatchSchema`), which then validate it, so the
 * portal and the admin API refuse the same values with the same messages.
 */

export type FormBody = Record<string, string | File | (string | File)[]>;

const text = (body: FormBody, name: string) => {
  const value = body[name];
  return typeof value === "string" ? value.trim() : "";
};
/** Empty means null (no limit, no budget, the default tier); anything else a number, NaN refused by the schema. */
const optionalNumber = (value: string) => (value === "" ? null : Number(value));

/** The settings fields of a key form; status changes have forms of their own. */
export function keySettingsFromForm(body: FormBody) {
  return {
    name: text(body, "name"),
    owner: text(body, "owner"),
    rpm: optionalNumber(text(body, "rpm")),
    tpm: optionalNumber(text(body, "tpm")),
    monthly_budget_usd: optionalNumber(text(body, "monthly_budget_usd")),
    service_tier: text(body, "service_tier") || null,
    allowed_models: text(body, "allowed_models").split(/[\s,]+/).filter(Boolean),
    model_map: modelMap(text(body, "model_map")),
    expires_at: utcMinute(text(body, "expires_at")),
  };
}

/** A datetime-local input has no zone (the form says UTC); other text goes on to the schema, which refuses it. */
export function utcMinute(value: string): string | null {
  if (value === "") return null;
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(value) ? `${value}:00Z` : value;
}

/** The text fields of a refused form, to show them again as sent. */
export function sentValues(body: FormBody): Record<string, string> {
  return Object.fromEntries(Object.entries(body).flatMap(([name, value]) => (typeof value === "string" ? [[name, value]] : [])));
}

/** `alias = model id`, one per line. */
function modelMap(lines: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const line of lines.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const [alias = "", ...model] = line.split("=");
    map[alias.trim()] = model.join("=").trim();
  }
  return map;
}

/** The form's values for a stored key (or the last values sent, when they were refused). */
export function keyFormValues(key: Pick<ApiKey, "name" | "owner" | "rpm" | "tpm" | "monthly_budget_usd" | "service_tier" | "allowed_models" | "model_map" | "expires_at">): Record<string, string> {
  return {
    name: key.name,
    owner: key.owner,
    rpm: key.rpm?.toString() ?? "",
    tpm: key.tpm?.toString() ?? "",
    monthly_budget_usd: key.monthly_budget_usd?.toString() ?? "",
    service_tier: key.service_tier ?? "",
    allowed_models: key.allowed_models.join("\n"),
    model_map: Object.entries(key.model_map).map(([alias, model]) => `${alias} = ${model}`).join("\n"),
    expires_at: key.expires_at?.slice(0, 16) ?? "",
  };
}
