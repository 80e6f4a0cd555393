/** @jsxImportSource hono/jsx */
import { serviceTierSchema } from "../../bedrock/service-tier.ts";
import { Field, type FieldErrors, Select } from "../components.tsx";

/** The settings fields of a key, shared by the create form (keys.tsx) and the edit form (key.tsx). */
export function KeyFields(props: { values: Record<string, string>; errors: FieldErrors }) {
  const { values, errors } = props;
  return (
    <div class="fields">
      <Field name="name" label="Name" value={values.name} errors={errors} required />
      <Field name="owner" label="Owner" value={values.owner} errors={errors} />
      <Field name="rpm" label="Requests per minute" type="number" value={values.rpm} errors={errors} hint="empty: the proxy's default" />
      <Field name="tpm" label="Tokens per minute" type="number" value={values.tpm} errors={errors} hint="empty: the proxy's default" />
      <Field name="monthly_budget_usd" label="Monthly budget (USD)" value={values.monthly_budget_usd} errors={errors} hint="empty: no budget" />
      <Select name="service_tier" label="Service tier" value={values.service_tier ?? ""} options={["", ...serviceTierSchema.options]} />
      <Field name="allowed_models" label="Allowed models" multiline value={values.allowed_models ?? "*"} errors={errors} hint="globs over Bedrock model ids, one per line; * allows all" />
      <Field name="model_map" label="Key's model aliases" multiline value={values.model_map} errors={errors} hint="alias = Bedrock model id, one per line" />
      <Field name="expires_at" label="Expires (UTC)" type="datetime-local" value={values.expires_at} errors={errors} hint="empty: never" />
    </div>
  );
}
