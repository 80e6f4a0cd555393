import { Hono } from "hono";
import { z } from "zod";
import { ApiError, invalidRequest } from "../anthropic/errors.ts";
import { type ModelInfo, modelInfo } from "../bedrock/catalog.ts";
import type { ProxyDeps } from "./deps.ts";
import type { AppEnv } from "./env.ts";
import { queryParams } from "./validate.ts";

const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(20),
  after_id: z.string().min(1).optional(),
  before_id: z.string().min(1).optional(),
});

/** GET /v1/models (paged as Anthropic pages it) and GET /v1/models/{id}. */
export function modelsRoutes(deps: ProxyDeps) {
  return new Hono<AppEnv>()
    .get("/", queryParams(pageQuery), async (c) => c.json(page(await deps.catalog.list(), c.req.valid("query"))))
    .get("/:id", async (c) => {
      const id = c.req.param("id");
      const listed = (await deps.catalog.list()).find((m) => m.id === id);
      if (listed) return c.json(listed);
      // A name the resolver maps (e.g. a Claude name newer than the alias table) is a model we serve.
      if (deps.models.resolve(id).modelId !== id) return c.json(modelInfo(id, id));
      throw new ApiError("not_found_error", `model: ${id}`);
    });
}

function page(models: ModelInfo[], query: z.infer<typeof pageQuery>) {
  let start = 0;
  let end = models.length;
  if (query.after_id !== undefined) start = indexOf(models, query.after_id) + 1;
  if (query.before_id !== undefined) end = indexOf(models, query.before_id);
  const fromEnd = query.before_id !== undefined && query.after_id === undefined;
  const data = fromEnd ? models.slice(Math.max(start, end - query.limit), end) : models.slice(start, Math.min(end, start + query.limit));
  const has_more = fromEnd ? end - start > data.length : start + data.length < end;
  return { data, has_more, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}

function indexOf(models: ModelInfo[], id: string): number {
  const index = models.findIndex((m) => m.id === id);
  if (index < 0) throw invalidRequest(`No model with id ${id}`);
  return index;
}
