import { Hono } from "hono";
import { z } from "zod";
import { ApiError, invalidRequest } from "../anthropic/errors.ts";
import { createKeyBodySchema, issuedKeyView, keyView, revokedMessage, usageQuerySchema, usageView } from "../gateway/admin-views.ts";
import type { KeyService } from "../gateway/keys/service.ts";
import { apiKeySchema, keyPatchSchema, keyStatusSchema, StoreConflictError } from "../gateway/keys/api-key.ts";
import { usageRecordSchema } from "../gateway/usage/usage-record.ts";
import { modelAliasSchema } from "../gateway/model-alias.ts";
import { modelPriceSchema } from "../gateway/pricing/model-price.ts";
import type { Store } from "../gateway/store.ts";
import type { AppEnv } from "./env.ts";
import { type AdminAuth, type AdminAuthVariables, adminAuth } from "../portal/auth/admin-auth.ts";
import { describeIssues } from "../../lib/zod-issues.ts";
import { jsonBody, queryParams } from "./validate.ts";

/**
 * The operator's API (mounted at /admin/api): keys, usage, spend, prices and aliases. The master key
 * (scripts, the keys CLI) or an admin session (the portal) are its only credentials; issued keys never
 * reach it, whatever their settings.
 */

export interface AdminOptions {
  store: Store;
  keys: KeyService;
  /** The master key or an admin session (src/portal/auth/); sets `c.var.actor`. */
  adminAuth: AdminAuth;
  /** Called after a write, so this replica serves the new aliases or prices at once. */
  onAliasesChanged(): void;
  onPricesChanged(): void;
}

/** POST /keys takes `createKeyBodySchema`, GET /usage `usageQuerySchema` (shared with the keys CLI). */
const keyListQuery = z.strictObject({ owner: apiKeySchema.shape.owner.optional(), status: keyStatusSchema.optional() });
const revokeQuery = z.strictObject({ reason: apiKeySchema.shape.status_reason.unwrap().optional() });

/** GET /usage/requests: one key's latest records (the store caps `limit` at 1,000). */
const latestQuery = z.strictObject({
  key_id: usageRecordSchema.shape.key_id,
  limit: z.coerce.number().int().positive().default(100),
});

const priceBody = modelPriceSchema.omit({ model_id: true });
const aliasBody = modelAliasSchema.pick({ model_id: true });

export function adminRoutes(options: AdminOptions): Hono<AppEnv & { Variables: AdminAuthVariables }> {
  const { store, keys } = options;
  const existingKey = async (id: string) => found(await store.getKey(id), id);

  return new Hono<AppEnv>()
    .use(adminAuth(options.adminAuth, "api"))

    .post("/keys", jsonBody(createKeyBodySchema), async (c) => c.json(issuedKeyView(await keys.create(c.req.valid("json"))), 201))
    .get("/keys", queryParams(keyListQuery), async (c) => c.json({ data: (await store.listKeys(c.req.valid("query"))).map(keyView) }))
    .get("/keys/:id", async (c) => c.json(keyView(await existingKey(c.req.param("id")))))
    .patch("/keys/:id", jsonBody(keyPatchSchema), async (c) => {
      const id = c.req.param("id");
      try {
        return c.json(keyView(found(await keys.update(id, c.req.valid("json")), id)));
      } catch (error) {
        if (error instanceof StoreConflictError) throw invalidRequest(revokedMessage(id));
        throw error;
      }
    })
    // Revoking keeps the key, so its usage and spend stay attributed and its id is never reused.
    .delete("/keys/:id", queryParams(revokeQuery), async (c) => {
      const id = c.req.param("id");
      return c.json(keyView(found(await keys.revoke(id, c.req.valid("query").reason), id)));
    })
    .post("/keys/:id/rotate", async (c) => {
      const id = c.req.param("id");
      return c.json(issuedKeyView(found(await keys.rotate(id), id)));
    })
    .get("/keys/:id/spend", async (c) => {
      const key = await existingKey(c.req.param("id"));
      return c.json({ data: await store.listMonthSpend(key.id) });
    })

    .get("/usage", queryParams(usageQuerySchema), async (c) => c.json({ data: (await store.queryRollups(c.req.valid("query"))).map(usageView) }))
    .get("/usage/requests", queryParams(latestQuery), async (c) => {
      const { key_id, limit } = c.req.valid("query");
      return c.json({ data: await store.latestUsage(key_id, limit) });
    })

    .get("/pricing", async (c) => c.json({ data: await store.listPrices() }))
    // `{.+}`: model ids carry `:` and `.`, and ARNs `/`; Hono decodes the parameter once.
    .put("/pricing/:model_id{.+}", jsonBody(priceBody), async (c) => {
      const model_id = pathParam(c.req.param("model_id"), "model_id", modelPriceSchema.shape.model_id);
      const row = await store.putPrice({ ...c.req.valid("json"), model_id });
      options.onPricesChanged();
      return c.json(row);
    })

    .get("/model-aliases", async (c) => c.json({ data: (await store.listAliases()).map(({ alias, model_id }) => ({ alias, model_id })) }))
    .put("/model-aliases/:alias{.+}", jsonBody(aliasBody), async (c) => {
      const alias = pathParam(c.req.param("alias"), "alias", modelAliasSchema.shape.alias);
      const row = await store.putAlias({ alias, model_id: c.req.valid("json").model_id });
      options.onAliasesChanged();
      return c.json(row);
    })
    .delete("/model-aliases/:alias{.+}", async (c) => {
      const alias = c.req.param("alias");
      if (!(await store.deleteAlias(alias))) throw new ApiError("not_found_error", `No model alias ${alias}`);
      options.onAliasesChanged();
      return c.json({ alias, deleted: true });
    });
}

function found<T>(value: T | undefined, id: string): T {
  if (value === undefined) throw new ApiError("not_found_error", `No API key with id ${id}`);
  return value;
}

/** A path parameter checked by the store's schema for it; a failure is a 400 naming the parameter. */
function pathParam(value: string, name: string, schema: z.ZodType<string>): string {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw invalidRequest(describeIssues(parsed.error.issues.map((issue) => ({ ...issue, path: [name, ...issue.path] }))));
}
