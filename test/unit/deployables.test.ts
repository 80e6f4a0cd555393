import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * Each deployable stands on its own: what its entry point imports (Bun's own module graph) stays
 * inside its folders, and every package it imports is a production dependency of its own
 * package.json, which is all its image installs. So the proxy image carries no dockerode, and
 * the sandbox service image nothing of the proxy.
 */

const root = resolve(import.meta.dir, "../..");

interface Deployable {
  entry: string;
  /** The package.json whose `dependencies` its image installs. */
  manifest: string;
  /** The folders (and files) its own code may come from: what its image copies. */
  folders: string[];
}

const deployables: Record<string, Deployable> = {
  // package.json gives the proxy its version (the user-agent it sends Bedrock).
  proxy: { entry: "src/main.ts", manifest: "package.json", folders: ["src/", "lib/", "package.json"] },
  "sandbox service": { entry: "sandbox/src/main.ts", manifest: "sandbox/package.json", folders: ["sandbox/src/", "lib/"] },
  // A dev tool, built into its own image from the root package; it reads the proxy's model and beta tables.
  emulator: { entry: "emulator/main.ts", manifest: "package.json", folders: ["emulator/", "src/", "lib/"] },
};

interface Graph {
  files: string[];
  packages: Set<string>;
}

async function importGraph(entry: string): Promise<Graph> {
  const build = await Bun.build({ entrypoints: [join(root, entry)], target: "bun", metafile: true, throw: true });
  const inputs = Object.entries(build.metafile?.inputs ?? {}).filter(([path]) => !path.includes("node_modules/"));
  const packages = new Set(
    inputs.flatMap(([, input]) => input.imports.flatMap((found) => (found.path.includes("node_modules/") && found.original ? [packageName(found.original)] : []))),
  );
  return { files: inputs.map(([path]) => path), packages };
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

function manifest(path: string): { dependencies?: Record<string, string>; workspaces?: string[] } {
  return JSON.parse(readFileSync(join(root, path), "utf8")) as { dependencies?: Record<string, string>; workspaces?: string[] };
}

describe("deployment boundaries", () => {
  for (const [name, deployable] of Object.entries(deployables)) {
    test(`the ${name}'s code comes only from ${deployable.folders.join(", ")}, its packages only from ${deployable.manifest}'s dependencies`, async () => {
      const graph = await importGraph(deployable.entry);
      expect(graph.files.filter((file) => !deployable.folders.some((folder) => file.startsWith(folder)))).toEqual([]);
      const declared = Object.keys(manifest(deployable.manifest).dependencies ?? {});
      expect([...graph.packages].filter((pkg) => !declared.includes(pkg))).toEqual([]);
    });
  }

  test("dockerode is the sandbox service's alone: the proxy's production dependencies do not name it", () => {
    expect(manifest("package.json").workspaces).toEqual(["sandbox", "deploy"]);
    expect(Object.keys(manifest("package.json").dependencies ?? {})).not.toContain("dockerode");
    expect(Object.keys(manifest("sandbox/package.json").dependencies ?? {})).toContain("dockerode");
  });

  test("the AWS CDK is deploy/'s alone: neither service's production dependencies name it", () => {
    for (const service of ["package.json", "sandbox/package.json"]) expect(Object.keys(manifest(service).dependencies ?? {})).not.toContain("aws-cdk-lib");
    expect(Object.keys(manifest("deploy/package.json").dependencies ?? {})).toContain("aws-cdk-lib");
  });

  // `bun install --frozen-lockfile` refuses a tree whose workspaces differ from the lockfile's.
  for (const dockerfile of ["Dockerfile", "sandbox/service.Dockerfile"]) {
    test(`${dockerfile} copies every workspace's package.json before its frozen-lockfile install`, () => {
      const text = readFileSync(join(root, dockerfile), "utf8");
      const copied = [...text.matchAll(/^COPY (\S+)\/package\.json \.\/\1\/$/gm)].map((m) => m[1]);
      expect(new Set(copied)).toEqual(new Set(manifest("package.json").workspaces));
    });
  }
});
