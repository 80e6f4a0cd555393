import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { SandboxMetrics } from "../../sandbox/src/metrics.ts";
import { Metrics } from "../../src/observability/metrics.ts";

/**
 * The Grafana dashboard (observability/grafana/dashboards) and Prometheus's scrape configuration that
 * compose.yaml mounts: the JSON parses, and every series a query names is one the proxy or the
 * sandbox service exposes, so a renamed metric cannot leave a panel silently empty.
 */

const root = resolve(import.meta.dir, "../..");
const dashboardsDir = resolve(root, "observability/grafana/dashboards");

const panel = z.object({ type: z.string(), title: z.string(), targets: z.array(z.object({ expr: z.string() })).optional() });
const dashboard = z.object({ uid: z.string(), title: z.string(), panels: z.array(panel).min(1) });

/** The registries' metrics, and every series name Prometheus stores for them (a histogram's _bucket, _sum, _count). */
async function exposed(): Promise<{ metrics: string[]; series: Set<string> }> {
  const registries = [new Metrics({ maxLabelValues: 10 }).registry, new SandboxMetrics({ pool: () => ({ idle: 0, busy: 0, starting: 0 }), sessions: () => 0 }).registry];
  const metrics = (await Promise.all(registries.map((registry) => registry.getMetricsAsJSON()))).flat();
  const series = new Set(metrics.flatMap((m) => (String(m.type) === "histogram" ? ["_bucket", "_sum", "_count"].map((suffix) => m.name + suffix) : [m.name])));
  return { metrics: metrics.map((m) => m.name).filter((name) => name.startsWith("abp_")), series };
}

test("each dashboard parses, queries only series the proxy and the sandbox service expose, and shows each of ours", async () => {
  const files = readdirSync(dashboardsDir).filter((name) => name.endsWith(".json"));
  expect(files.length).toBeGreaterThan(0);
  const { metrics, series } = await exposed();
  for (const file of files) {
    const parsed = dashboard.parse(JSON.parse(await Bun.file(resolve(dashboardsDir, file)).text()));
    const exprs = parsed.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    const named = new Set(exprs.flatMap((expr) => [...expr.matchAll(/\b(abp_[a-z_]+)/g)].map((m) => m[1] ?? "")));
    expect([...named].filter((name) => !series.has(name))).toEqual([]);
    expect(metrics.filter((name) => !named.has(name) && !named.has(`${name}_bucket`))).toEqual([]);
  }
});

test("Prometheus scrapes the proxy on its METRICS_PORT and the sandbox service on its port, as compose.yaml sets them", async () => {
  const compose = z
    .object({ services: z.record(z.string(), z.object({ environment: z.record(z.string(), z.union([z.string(), z.number()])).optional(), volumes: z.array(z.string()).optional() }).loose()) })
    .parse(Bun.YAML.parse(await Bun.file(resolve(root, "compose.yaml")).text()));
  const prometheus = z
    .object({ scrape_configs: z.array(z.object({ job_name: z.string(), static_configs: z.array(z.object({ targets: z.array(z.string()) })) })) })
    .parse(Bun.YAML.parse(await Bun.file(resolve(root, "observability/prometheus.yml")).text()));
  const targets = Object.fromEntries(prometheus.scrape_configs.map((job) => [job.job_name, job.static_configs.flatMap((c) => c.targets)]));
  const { proxy, sandbox, grafana } = compose.services;
  expect(targets.proxy).toEqual([`proxy:${proxy?.environment?.METRICS_PORT}`]);
  expect(targets.sandbox).toEqual([`sandbox:${sandbox?.environment?.SANDBOX_PORT}`]);
  // Grafana's mounts are folders of the repository.
  for (const volume of grafana?.volumes ?? []) {
    const source = volume.split(":")[0] ?? "";
    if (source.startsWith("./")) expect(readdirSync(resolve(root, source)).length).toBeGreaterThan(0);
  }
});
