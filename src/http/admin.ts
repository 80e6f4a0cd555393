import { Hono } from "hono";
import { z } from "zod";
import { ApiError, invalidRequest } from "../anthropic/errors.ts";
import { createKeyBodySchema, issuedKeyView, keyView, revokedMessage, usageQuerySchema, usageView } from "../gateway/admin-views.ts";
import type { KeyService } from "../gateway/keys/service.ts";
import { apiKeySchema, keyPatchSchema, keyStatusSchema, StoreConflictError } from "../gateway/keys/api-key.ts";
import { auditQuerySchema } from "../gateway/audit/audit-entry.ts";
import { ModelSettingsService } from "../gateway/model-settings.ts";
import { keysNearBudget, latencyQuerySchema, latencySummary, nearBudgetShare, overview, overviewQuerySchema, seriesQuerySchema, usageSeries } from "../gateway/usage/overview.ts";
import { usageCsv, usageCsvQuerySchema } from "../gateway/usage/usage-csv.ts";
import { usageLogQuerySchema } from "../gateway/usage/usage-queries.ts";
import { monthSchema, utcMonth } from "../gateway/values.ts";
import { modelAliasSchema } from "../gateway/model-alias.ts";
import { modelPriceSchema } from "../gateway/pricing/model-price.ts";
import type { Store } from "../gateway/store.ts";
import type { AppEnv } from "./env.ts";
import { type AdminAuth, type AdminAuthVariables, adminAuth } from "../portal/auth/admin-auth.ts";
import { describeIssues } from "../../lib/zod-issues.ts";
import { jsonBody, queryParams } from "./validate.ts";

/**
 * The operator's API (mounted at /admin/api): keys, usage, spend, prices, aliases and the audit log.
 * The master key (scripts, the keys CLI) or an admin session (the portal) are its only credentials;
 * issued keys never reach it, whatever their settings. Every change is audited with the caller
 * (`c.var.actor`, set by the auth middleware).
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

const monthQuery = z.strictObject({ month: monthSchema.optional() });
const topQuery = monthQuery.extend({ limit: z.coerce.number().int().positive().max(1000).default(10) });
const budgetQuery = monthQuery.extend({ share: z.coerce.number().nonnegative().default(nearBudgetShare) });

const priceBody = modelPriceSchema.omit({ model_id: true });
const aliasBody = modelAliasSchema.pick({ model_id: true });

export function adminRoutes(options: AdminOptions): Hono<AppEnv & { Variables: AdminAuthVariables }> {
  const { store, keys } = options;
  const settings = new ModelSettingsService(store, options);
  const existingKey = async (id: string) => found(await store.getKey(id), id);

  return new Hono<AppEnv>()
    .use(adminAuth(options.adminAuth, "api"))

    .post("/keys", jsonBody(createKeyBodySchema), async (c) => c.json(issuedKeyView(await keys.create(c.req.valid("json"), c.var.actor)), 201))
    .get("/keys", queryParams(keyListQuery), async (c) => c.json({ data: (await store.listKeys(c.req.valid("query"))).map(keyView) }))
    .get("/keys/:id", async (c) => c.json(keyView(await existingKey(c.req.param("id")))))
    .patch("/keys/:id", jsonBody(keyPatchSchema), async (c) => {
      const id = c.req.param("id");
      try {
        return c.json(keyView(found(await keys.update(id, c.req.valid("json"), c.var.actor), id)));
      } catch (error) {
        if (error instanceof StoreConflictError) throw invalidRequest(revokedMessage(id));
        throw error;
      }
    })
    // Revoking keeps the key, so its usage and spend stay attributed and its id is never reused.
    .delete("/keys/:id", queryParams(revokeQuery), async (c) => {
      const id = c.req.param("id");
      return c.json(keyView(found(await keys.revoke(id, c.var.actor, c.req.valid("query").reason), id)));
    })
    .post("/keys/:id/rotate", async (c) => {
      const id = c.req.param("id");
      return c.json(issuedKeyView(found(await keys.rotate(id, c.var.actor), id)));
    })
    .get("/keys/:id/spend", async (c) => {
      const key = await existingKey(c.req.param("id"));
      return c.json({ data: await store.listMonthSpend(key.id) });
    })

    .get("/usage", queryParams(usageQuerySchema), async (c) => c.json({ data: (await store.queryRollups(c.req.valid("query"))).map(usageView) }))
    // The request log across keys (or of one), newest first, paged by `next_cursor`; and all of it as CSV.
    .get("/usage/requests", queryParams(usageLogQuerySchema), async (c) => c.json(await store.listUsage(c.req.valid("query"))))
    .get("/usage/requests.csv", queryParams(usageCsvQuerySchema), (c) => {
      return c.body(byteStream(usageCsv(store, c.req.valid("query"))), 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="usage.csv"' });
    })
    .get("/usage/series", queryParams(seriesQuerySchema), async (c) => c.json({ data: await usageSeries(store, c.req.valid("query")) }))
    .get("/usage/latency", queryParams(latencyQuerySchema), async (c) => c.json(await latencySummary(store, c.req.valid("query"))))
    .get("/usage/top-keys", queryParams(topQuery), async (c) => {
      const { month = utcMonth(new Date()), limit } = c.req.valid("query");
      return c.json({ month, data: await store.topMonthSpend(month, limit) });
    })
    .get("/usage/budgets", queryParams(budgetQuery), async (c) => {
      const { month = utcMonth(new Date()), share } = c.req.valid("query");
      return c.json({ month, data: await keysNearBudget(store, share, month) });
    })
    .get("/usage/overview", queryParams(overviewQuerySchema), async (c) => c.json(await overview(store, c.req.valid("query"))))

    .get("/audit", queryParams(auditQuerySchema), async (c) => c.json(await store.listAudit(c.req.valid("query"))))

    .get("/pricing", async (c) => c.json({ data: await store.listPrices() }))
    // `{.+}`: model ids carry `:` and `.`, and ARNs `/`; Hono decodes the parameter once.
    .put("/pricing/:model_id{.+}", jsonBody(priceBody), async (c) => {
      const model_id = pathParam(c.req.param("model_id"), "model_id", modelPriceSchema.shape.model_id);
      return c.json(await settings.putPrice({ ...c.req.valid("json"), model_id }, c.var.actor));
    })
    .delete("/pricing/:model_id{.+}", async (c) => {
      const model_id = c.req.param("model_id");
      if (!(await settings.deletePrice(model_id, c.var.actor))) throw new ApiError("not_found_error", `No price for ${model_id}`);
      return c.json({ model_id, deleted: true });
    })

    .get("/model-aliases", async (c) => c.json({ data: (await store.listAliases()).map(({ alias, model_id }) => ({ alias, model_id })) }))
    .put("/model-aliases/:alias{.+}", jsonBody(aliasBody), async (c) => {
      const alias = pathParam(c.req.param("alias"), "alias", modelAliasSchema.shape.alias);
      return c.json(await settings.putAlias({ alias, model_id: c.req.valid("json").model_id }, c.var.actor));
    })
    .delete("/model-aliases/:alias{.+}", async (c) => {
      const alias = c.req.param("alias");
      if (!(await settings.deleteAlias(alias, c.var.actor))) throw new ApiError("not_found_error", `No model alias ${alias}`);
      return c.json({ alias, deleted: true });
    });
}

/** Text chunks as a byte stream, each produced when the client reads on (a slow reader holds the export back). */
function byteStream(chunks: AsyncGenerator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await chunks.return(undefined);
    },
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
