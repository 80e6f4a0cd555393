import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * The operator's `cdk synth` (deploy/cdk.json runs deploy/bin/app.ts with bun), through the real CLI, without
 * AWS credentials and without a network: it runs in a network namespace of its own (bwrap --unshare-net), so a
 * lookup, a notice or a version check would fail it. It writes the template and the image assets' build contexts.
 */

const root = path.resolve(import.meta.dir, "../..");
const stackName = "AnthropicBedrockProxy";

function offline(): string[] {
  if (!Bun.which("bwrap")) throw new Error("bwrap is needed to run cdk synth without a network: apt-get install bubblewrap");
  return ["bwrap", "--dev-bind", "/", "/", "--unshare-net", "--die-with-parent"];
}

test("cdk synth writes the stack's template offline, with no AWS credentials, and the templates pass its validation", async () => {
  const out = mkdtempSync(path.join(tmpdir(), "abp-cdk-synth-"));
  try {
    const environment: Record<string, string | undefined> = { ...process.env, CDK_DISABLE_VERSION_CHECK: "1" };
    for (const name of Object.keys(environment)) if (name.startsWith("AWS_")) delete environment[name];
    const started = performance.now();
    const synth = Bun.spawn([...offline(), path.join(root, "node_modules/.bin/cdk"), "synth", "--no-version-reporting", "--no-notices", "--output", out, "--quiet"], {
      cwd: path.join(root, "deploy"),
      env: environment,
      stdout: "pipe",
      stderr: "pipe",
    });
    const [status, stderr] = await Promise.all([synth.exited, new Response(synth.stderr).text()]);
    console.log(`cdk synth: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect({ status, stderr: status === 0 ? "" : stderr }).toEqual({ status: 0, stderr: "" });
    const template = JSON.parse(readFileSync(path.join(out, `${stackName}.template.json`), "utf8")) as { Resources: Record<string, { Type: string }> };
    expect(Object.values(template.Resources).filter((resource) => resource.Type === "AWS::ECS::Service")).toHaveLength(2);
    // deploy/cdk.json turns validation findings into errors: the report has none.
    const report = JSON.parse(readFileSync(path.join(out, "validation-report.json"), "utf8")) as { pluginReports: { violations: unknown[] }[] };
    expect(report.pluginReports.flatMap((plugin) => plugin.violations)).toEqual([]);
    // The three images' build contexts, trimmed to what their Dockerfiles copy.
    const assets = JSON.parse(readFileSync(path.join(out, `${stackName}.assets.json`), "utf8")) as { dockerImages: Record<string, { source: { directory: string } }> };
    const contexts = Object.values(assets.dockerImages).map((image) => path.join(out, image.source.directory));
    expect(contexts).toHaveLength(3);
    for (const context of contexts) {
      expect(existsSync(path.join(context, "node_modules"))).toBe(false);
      expect(existsSync(path.join(context, "test"))).toBe(false);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 300_000);
