/**
 * Builds every image of the project without any registry, runs each briefly, and prints their sizes:
 *
 *   bun run images
 *
 * - the Bun base: the Debian made by scripts/sandbox-image.ts plus this very Bun binary, a `bun` user
 *   and the host's CA bundle, standing in for oven/bun (every Dockerfile takes its base as BASE_IMAGE);
 * - the proxy and the emulator (Dockerfile's two targets), the sandbox service
 *   (sandbox/service.Dockerfile) and the runtime image its sandboxes run (sandbox/runtime.Dockerfile).
 *
 * Then: the proxy answers /health and a message through the emulator's container; the proxy image holds
 * no dockerode, emulator or sandbox; the sandbox service runs code on the docker runtime (socket mounted)
 * and on bwrap (with the security options sandbox/service.Dockerfile names), and without those options
 * refuses bwrap at start-up.
 * Dependencies are installed inside the builds from the npm registry, and bubblewrap from Debian's mirror.
 * A few minutes on a fresh machine, seconds once cached: `.ci/run` does not run it.
 * Needs root, debootstrap and a running dockerd, as scripts/test-prerequisites.sh sets up.
 */
import Docker from "dockerode";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BASE_IMAGE as DEBIAN_BASE, ensureDebianBase, ensureSandboxImage, run } from "./sandbox-image.ts";

const ROOT = resolve(import.meta.dir, "..");
const BUN_BASE = "abp-bun-base:local";
const RUNTIME_IMAGE = "abp-sandbox:test";
const images = {
  proxy: { tag: "abp-proxy:local", args: ["--target", "proxy"] },
  emulator: { tag: "abp-emulator:local", args: ["--target", "emulator"] },
  sandboxService: { tag: "abp-sandbox-service:local", args: ["-f", "sandbox/service.Dockerfile"] },
} as const;

/**
 * oven/bun's layout: bun and bunx in /usr/local/bin, an unprivileged `bun` user (uid 1000). It trusts
 * the certificates this host trusts, so that `bun install` in the builds reaches the npm registry
 * through whatever TLS the host's network puts in between.
 */
const HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
const bunBaseDockerfile = `ARG BASE_IMAGE
FROM \${BASE_IMAGE}
COPY bun /usr/local/bin/bun
COPY ca-certificates.crt ${HOST_CA_BUNDLE}
ENV NODE_EXTRA_CA_CERTS=${HOST_CA_BUNDLE}
RUN ln -s bun /usr/local/bin/bunx && groupadd -g 1000 bun && useradd -u 1000 -g bun -m -s /bin/sh bun
`;

/** Without buildx the docker CLI needs the classic builder asked for. */
async function buildEnv(): Promise<Record<string, string>> {
  return run(["docker", "buildx", "version"]).then(() => ({}), () => ({ DOCKER_BUILDKIT: "0" }));
}

async function buildBunBase(env: Record<string, string>): Promise<void> {
  const context = await mkdtemp(join(tmpdir(), "abp-bun-base-"));
  try {
    await writeFile(join(context, "Dockerfile"), bunBaseDockerfile);
    await copyFile(process.execPath, join(context, "bun"));
    if (!existsSync(HOST_CA_BUNDLE)) throw new Error(`${HOST_CA_BUNDLE} not found: apt-get install ca-certificates`);
    await copyFile(HOST_CA_BUNDLE, join(context, "ca-certificates.crt"));
    await run(["docker", "build", "-q", "--build-arg", `BASE_IMAGE=${DEBIAN_BASE}`, "-t", BUN_BASE, context], env);
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

async function build(tag: string, args: readonly string[], env: Record<string, string>): Promise<void> {
  await run(["docker", "build", "-q", "--build-arg", `BASE_IMAGE=${BUN_BASE}`, ...args, "-t", tag, ROOT], env);
}

async function imageMb(tag: string): Promise<number> {
  return Number(await run(["docker", "image", "inspect", "--format", "{{.Size}}", tag])) / 1e6;
}

const docker = (...args: string[]) => run(["docker", ...args]).then((out) => out.trim());

/** Starts a detached container with its port published on loopback, and waits until `readyPath` answers; its URL. */
async function start(name: string, image: string, port: number, args: string[], readyPath = "/health"): Promise<string> {
  await docker("run", "-d", "--name", name, "-p", `127.0.0.1::${port}`, ...args, image);
  const published = await docker("port", name, String(port));
  const url = `http://${published.split("\n")[0] ?? ""}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await fetch(`${url}${readyPath}`).then((r) => r.ok, () => false)) return url;
    await Bun.sleep(250);
  }
  throw new Error(`${name} did not answer ${readyPath} at ${url}: ${await docker("logs", "--tail", "20", name).catch(String)}`);
}

function check(condition: boolean, what: string, detail: unknown): void {
  if (!condition) throw new Error(`${what}: ${JSON.stringify(detail)}`);
  console.error(`ok: ${what}`);
}

async function checkProxyAndEmulator(id: string, network: string): Promise<void> {
  const emulator = `abp-images-emulator-${id}`;
  await start(emulator, images.emulator.tag, 4010, ["--network", network, "--network-alias", "emulator"], "/_emulator/requests");
  const proxyEnv = ["-e", "BEDROCK_ENDPOINT=http://emulator:4010", "-e", "AWS_BEARER_TOKEN_BEDROCK=local", "-e", "AUTH_MODE=open"];
  const proxy = await start(`abp-images-proxy-${id}`, images.proxy.tag, 8080, ["--network", network, ...proxyEnv]);
  const answer = await fetch(`${proxy}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "sonnet", max_tokens: 50, messages: [{ role: "user", content: "ping from the images check" }] }),
  });
  check(answer.status === 200, "the proxy's container answers a message from the emulator's", { status: answer.status, body: await answer.text() });
  const absent = await docker("run", "--rm", "--entrypoint", "sh", images.proxy.tag, "-c", "ls node_modules/dockerode emulator sandbox 2>&1 || true");
  check((absent.match(/No such file/g) ?? []).length === 3, "the proxy image holds no dockerode, emulator or sandbox", absent);
}

async function checkSandboxService(id: string, runtime: "docker" | "bwrap", args: string[]): Promise<void> {
  const name = `abp-images-sandbox-${runtime}-${id}`;
  const env = { SANDBOX_HOST: "0.0.0.0", SANDBOX_TOKEN: "local", SANDBOX_RUNTIME: runtime, SANDBOX_POOL_SIZE: "1", SANDBOX_IMAGE: RUNTIME_IMAGE, SANDBOX_SCOPE: `images-${id}` };
  const url = await start(name, images.sandboxService.tag, 8090, [...args, ...Object.entries(env).flatMap(([key, value]) => ["-e", `${key}=${value}`])]);
  const call = async (path: string, body: unknown) => {
    const response = await fetch(`${url}/v1${path}`, { method: "POST", headers: { authorization: "Bearer local", "content-type": "application/json" }, body: JSON.stringify(body) });
    return (await response.json()) as Record<string, unknown>;
  };
  const session = await call("/sessions", { owner: "images" });
  const result = await call(`/sessions/${String(session["session_id"])}/executions`, { owner: "images", code: "print(6 * 7)", tools: [] });
  check(result["status"] === "completed" && result["stdout"] === "42\n", `the sandbox service runs code on ${runtime}`, { session, result });
}

/** Docker's default security options leave bwrap no namespaces: the service says so and stops at once. */
async function checkBwrapRefusedByDefault(): Promise<void> {
  const refused = await docker("run", "--rm", "-e", "SANDBOX_TOKEN=local", images.sandboxService.tag).then(
    () => "it started",
    (error: unknown) => String(error),
  );
  check(refused.includes("seccomp=unconfined"), "without them, the sandbox service refuses bwrap at start-up, naming the options", refused);
}

async function main(): Promise<void> {
  const log = (line: string) => console.error(line);
  const env = await buildEnv();
  await ensureDebianBase(new Docker(), log);
  log(`building ${RUNTIME_IMAGE} (sandbox/runtime.Dockerfile), ${BUN_BASE}, then the services' images`);
  await ensureSandboxImage(RUNTIME_IMAGE);
  await buildBunBase(env);
  for (const { tag, args } of Object.values(images)) {
    log(`building ${tag}`);
    await build(tag, args, env);
  }

  const id = crypto.randomUUID().slice(0, 8);
  const network = `abp-images-${id}`;
  await docker("network", "create", network);
  try {
    await checkProxyAndEmulator(id, network);
    await checkSandboxService(id, "docker", ["-v", "/var/run/docker.sock:/var/run/docker.sock"]);
    await checkSandboxService(id, "bwrap", ["--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined", "--security-opt", "systempaths=unconfined"]);
    await checkBwrapRefusedByDefault();
  } finally {
    // Our containers carry the run's id in their name; the sandboxes the docker runtime started, in their label.
    const named = await docker("ps", "-aq", "--filter", `name=abp-images-.*-${id}`);
    const sandboxes = await docker("ps", "-aq", "--filter", `label=abp.sandbox.scope=images-${id}`);
    const containers = `${named}\n${sandboxes}`.split("\n").filter(Boolean);
    if (containers.length > 0) await docker("rm", "-f", ...new Set(containers));
    await docker("network", "rm", network);
  }

  const base = await imageMb(BUN_BASE);
  console.log(`${"image".padEnd(28)}${"size MB".padStart(9)}${"over base".padStart(11)}`);
  for (const tag of [BUN_BASE, ...Object.values(images).map((image) => image.tag), RUNTIME_IMAGE]) {
    const size = await imageMb(tag);
    console.log(`${tag.padEnd(28)}${size.toFixed(0).padStart(9)}${(tag === RUNTIME_IMAGE ? "" : (size - base).toFixed(0)).padStart(11)}`);
  }
}

await main();
