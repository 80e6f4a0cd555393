import { readFileSync } from "node:fs";
import { Hono } from "hono";

/**
 * The portal's scripts and styles, served by the proxy itself (no CDN: the portal works offline).
 * uPlot comes from its package; portal.js and portal.css sit beside this file. Each is read once,
 * at start-up, and cached by the browser for an hour.
 */

const files: Record<string, { path: string; type: string }> = {
  "uPlot.iife.min.js": { path: Bun.resolveSync("uplot/dist/uPlot.iife.min.js", import.meta.dir), type: "text/javascript; charset=utf-8" },
  "uPlot.min.css": { path: Bun.resolveSync("uplot/dist/uPlot.min.css", import.meta.dir), type: "text/css; charset=utf-8" },
  "portal.js": { path: `${import.meta.dir}/assets/portal.js`, type: "text/javascript; charset=utf-8" },
  "portal.css": { path: `${import.meta.dir}/assets/portal.css`, type: "text/css; charset=utf-8" },
};

export function assetRoutes(): Hono {
  const loaded = new Map(Object.entries(files).map(([name, { path, type }]) => [name, { body: readFileSync(path, "utf8"), type }]));
  return new Hono().get("/:name", (c) => {
    const asset = loaded.get(c.req.param("name"));
    if (asset === undefined) return c.notFound();
    return c.body(asset.body, 200, { "content-type": asset.type, "cache-control": "public, max-age=3600" });
  });
}
