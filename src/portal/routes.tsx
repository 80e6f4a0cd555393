/** @jsxImportSource hono/jsx */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../anthropic/errors.ts";
import { createKeyBodySchema } from "../gateway/admin-views.ts";
import { keyPatchSchema, keyStatusSchema } from "../gateway/keys/api-key.ts";
import type { KeyService } from "../gateway/keys/service.ts";
import { auditActionSchema } from "../gateway/audit/audit-entry.ts";
import { modelAliasSchema } from "../gateway/model-alias.ts";
import { ModelSettingsService } from "../gateway/model-settings.ts";
import { modelPriceSchema } from "../gateway/pricing/model-price.ts";
import type { Store } from "../gateway/store.ts";
import { cursorPattern, statusFilterSchema } from "../gateway/usage/usage-queries.ts";
import { bucketSchema } from "../gateway/usage/usage-record.ts";
import type { ContainerStore } from "../ptc/containers/container-store.ts";
import { assetRoutes } from "./assets.ts";
import { type AdminAuth, type AdminAuthVariables, adminAuth } from "./auth/admin-auth.ts";
import { fieldErrors, type PageContext, who } from "./components.tsx";
import { type FormBody, keySettingsFromForm, sentValues, utcMinute } from "./key-form.ts";
import { aliasesPage } from "./pages/aliases.tsx";
import { auditPage } from "./pages/audit.tsx";
import { containersPage } from "./pages/containers.tsx";
import { keyPage } from "./pages/key.tsx";
import { keysPage } from "./pages/keys.tsx";
import { overviewPage } from "./pages/overview.tsx";
import { priceFormValues, priceFromForm, pricingPage } from "./pages/pricing.tsx";
import { secretPage } from "./pages/secret.tsx";
import { type UsageFilter, usagePage } from "./pages/usage.tsx";
import { ranges } from "./usage-data.ts";

/**
 * The admin portal's pages, mounted at /admin beside the sign-in routes and the admin API: rendered
 * on the server from the store and the key service (what the admin API reads and calls), behind the
 * admin sign-in (src/portal/auth/), every form carrying the session's CSRF token. Changes answer with
 * a redirect to the page that shows them (post/redirect/get), or the form again with its errors.
 */

export interface PortalOptions {
  store: Store;
  keys: KeyService;
  adminAuth: AdminAuth;
  /** The live PTC containers; undefined when PTC is off. */
  containers: ContainerStore | undefined;
  onAliasesChanged(): void;
  onPricesChanged(): void;
  now: () => Date;
}

type PortalEnv = { Variables: AdminAuthVariables };

/** Every page path: behind the sign-in (a path not listed falls through to the proxy's 404). */
const pagePaths = ["/", "/keys", "/keys/*", "/usage", "/pricing", "/aliases", "/aliases/*", "/containers", "/audit"];

/** Rows per page of the usage and audit logs. */
const pageSize = 50;

const overviewQuery = z.object({ range: z.enum(Object.keys(ranges) as ["24h", "7d", "30d"]).catch("24h"), bucket: bucketSchema.catch("hour") });
/** A filter value the log cannot take is dropped, as a form field left empty would be. */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const minute = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d$/);
const usageQuery = z.object({
  key_id: lenient(z.string().min(1).max(128)),
  model: lenient(z.string().min(1).max(2048)),
  status: lenient(z.string().refine((value) => statusFilterSchema.safeParse(value).success)),
  from: lenient(minute),
  to: lenient(minute),
  cursor: lenient(z.string().regex(cursorPattern)),
});
const auditQuery = z.object({
  target: lenient(z.string().min(1).max(1024)),
  action: lenient(auditActionSchema),
  cursor: lenient(z.string().regex(cursorPattern)),
});

export function portalRoutes(options: PortalOptions) {
  const { store, keys, now } = options;
  const settings = new ModelSettingsService(store, options);
  const app = new Hono<PortalEnv>().route("/assets", assetRoutes());
  for (const path of pagePaths) app.use(path, adminAuth(options.adminAuth, "page"));
  const existingKey = async (id: string) => {
    const key = await store.getKey(id);
    if (key === undefined) throw new ApiError("not_found_error", `No API key with id ${id}`);
    return key;
  };

  return app
    .get("/", async (c) => c.html(await overviewPage(store, overviewQuery.parse(c.req.query()), now(), pageContext(c))))

    .get("/keys", async (c) => {
      const status = keyStatusSchema.safeParse(c.req.query("status"));
      return c.html(await keysPage(store, { q: c.req.query("q") ?? "", status: status.success ? status.data : undefined }, now(), pageContext(c)));
    })
    .post("/keys", async (c) => {
      const body = await c.req.parseBody();
      const parsed = createKeyBodySchema.safeParse(keySettingsFromForm(body));
      if (!parsed.success) return c.html(await keysPage(store, { q: "", status: undefined }, now(), pageContext(c), { values: sentValues(body), errors: fieldErrors(parsed.error) }), 400);
      return secret(c, secretPage(await keys.create(parsed.data, c.var.actor), "created", pageContext(c)));
    })
    .get("/keys/:id", async (c) => c.html(await keyPage(store, await existingKey(c.req.param("id")), now(), pageContext(c))))
    .post("/keys/:id", async (c) => {
      const key = await existingKey(c.req.param("id"));
      const body = await c.req.parseBody();
      const parsed = keyPatchSchema.safeParse(keySettingsFromForm(body));
      if (!parsed.success) return c.html(await keyPage(store, key, now(), pageContext(c), { values: sentValues(body), errors: fieldErrors(parsed.error) }), 400);
      await keys.update(key.id, parsed.data, c.var.actor);
      return c.redirect(keyPath(key.id), 303);
    })
    .post("/keys/:id/status", async (c) => {
      const key = await existingKey(c.req.param("id"));
      const body = await c.req.parseBody();
      const status = z.enum(["active", "disabled"]).parse(body.status);
      await keys.update(key.id, { status, status_reason: reason(body) ?? null }, c.var.actor);
      return c.redirect(keyPath(key.id), 303);
    })
    .post("/keys/:id/revoke", async (c) => {
      const key = await existingKey(c.req.param("id"));
      await keys.revoke(key.id, c.var.actor, reason(await c.req.parseBody()));
      return c.redirect(keyPath(key.id), 303);
    })
    .post("/keys/:id/rotate", async (c) => {
      const issued = await keys.rotate((await existingKey(c.req.param("id"))).id, c.var.actor);
      if (issued === undefined) throw new ApiError("not_found_error", "the key is gone");
      return secret(c, secretPage(issued, "rotated", pageContext(c)));
    })

    .get("/usage", async (c) => {
      const { cursor, ...filter } = usageQuery.parse(c.req.query());
      const [log, keyList] = await Promise.all([store.listUsage({ ...logFilter(filter), cursor, limit: pageSize }), store.listKeys()]);
      return c.html(usagePage(log, keyList, filter, cursor !== undefined, pageContext(c)));
    })

    .get("/pricing", async (c) => {
      const prices = await store.listPrices();
      const chosen = prices.find((p) => p.model_id === c.req.query("model_id"));
      return c.html(pricingPage(prices, pageContext(c), { values: chosen ? priceFormValues(chosen) : {}, errors: {} }));
    })
    .post("/pricing", async (c) => {
      const values = sentValues(await c.req.parseBody());
      const parsed = modelPriceSchema.safeParse(priceFromForm(values));
      if (!parsed.success) {
        const errors = fieldErrors(parsed.error, (path) => (path[0] === "tier_multipliers" ? `tier_${String(path[1])}` : String(path[0] ?? "form")));
        return c.html(pricingPage(await store.listPrices(), pageContext(c), { values, errors }), 400);
      }
      await settings.putPrice(parsed.data, c.var.actor);
      return c.redirect("/admin/pricing", 303);
    })

    .get("/aliases", async (c) => c.html(aliasesPage(await store.listAliases(), pageContext(c))))
    .post("/aliases", async (c) => {
      const values = sentValues(await c.req.parseBody());
      const parsed = modelAliasSchema.safeParse({ alias: values.alias?.trim(), model_id: values.model_id?.trim() });
      if (!parsed.success) return c.html(aliasesPage(await store.listAliases(), pageContext(c), { values, errors: fieldErrors(parsed.error) }), 400);
      await settings.putAlias(parsed.data, c.var.actor);
      return c.redirect("/admin/aliases", 303);
    })
    .post("/aliases/delete", async (c) => {
      const alias = (await c.req.parseBody()).alias;
      if (typeof alias === "string") await settings.deleteAlias(alias, c.var.actor);
      return c.redirect("/admin/aliases", 303);
    })

    .get("/containers", async (c) => {
      const [containers, keyList] = await Promise.all([options.containers?.listLive(), store.listKeys()]);
      return c.html(containersPage(containers, new Map(keyList.map((k) => [k.id, k.name])), now(), pageContext(c)));
    })

    .get("/audit", async (c) => {
      const { cursor, ...filter } = auditQuery.parse(c.req.query());
      return c.html(auditPage(await store.listAudit({ ...filter, cursor, limit: pageSize }), filter, cursor !== undefined, pageContext(c)));
    });
}

function pageContext(c: Context<PortalEnv>): PageContext {
  return { csrfToken: c.var.adminSession?.csrfToken, who: who(c.var.actor) };
}

const keyPath = (id: string) => `/admin/keys/${encodeURIComponent(id)}`;

/** A page holding a secret: never kept by a cache or the browser's history cache. */
function secret(c: Context, page: ReturnType<typeof secretPage>): Response | Promise<Response> {
  c.header("cache-control", "no-store");
  return c.html(page);
}

function reason(body: FormBody): string | undefined {
  return typeof body.reason === "string" && body.reason.trim() !== "" ? body.reason.trim() : undefined;
}

/** The page's filter as the log takes it: the form's minutes are UTC. */
function logFilter(filter: UsageFilter) {
  const time = (value: string | undefined) => (value === undefined ? undefined : (utcMinute(value) ?? undefined));
  return { key_id: filter.key_id, model: filter.model, status: filter.status === undefined ? undefined : statusFilterSchema.parse(filter.status), from: time(filter.from), to: time(filter.to) };
}
