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
 * Then the checks of checkImages() below. The compose test (test/compose/) builds and checks the same
 * images under tags of its own. Dependencies are installed inside the builds from the npm registry, and
 * bubblewrap from Debian's mirror. A few minutes on a fresh machine, seconds once cached (docs/images.md).
 * Needs root, debootstrap and a running dockerd, as scripts/test-prerequisites.sh sets up.
 */
import Docker from "dockerode";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { BASE_IMAGE as DEBIAN_BASE, ensureDebianBase, ensureSandboxImage, run } from "./sandbox-image.ts";

const ROOT = resolve(import.meta.dir, "..");
export const DOCKER_SOCKET = "/var/run/docker.sock";

/** The project's images under one tag (`bun run images`: `local`; the compose test: its own). */
export function projectImages(tag: string) {
  return {
    bunBase: `abp-bun-base:${tag}`,
    proxy: `abp-proxy:${tag}`,
    emulator: `abp-emulator:${tag}`,
    sandboxService: `abp-sandbox-service:${tag}`,
    sandboxRuntime: `abp-sandbox:${tag}`,
  };
}
export type ProjectImages = ReturnType<typeof projectImages>;

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

/** One `docker build` of `context` FROM `base` (the Dockerfiles' BASE_IMAGE); `args` adds -f, --target… */
export async function buildImage(tag: string, base: string, context: string, args: readonly string[] = []): Promise<void> {
  await run(["docker", "build", "-q", "--build-arg", `BASE_IMAGE=${base}`, ...args, "-t", tag, context], await buildEnv());
}

async function buildBunBase(tag: string): Promise<void> {
  const context = await mkdtemp(join(tmpdir(), "abp-bun-base-"));
  try {
    await writeFile(join(context, "Dockerfile"), bunBaseDockerfile);
    await copyFile(process.execPath, join(context, "bun"));
    if (!existsSync(HOST_CA_BUNDLE)) throw new Error(`${HOST_CA_BUNDLE} not found: apt-get install ca-certificates`);
    await copyFile(HOST_CA_BUNDLE, join(context, "ca-certificates.crt"));
    await buildImage(tag, DEBIAN_BASE, context);
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

/** The Debian base (once), the runtime image, the Bun base, then the services' images on it. */
export async function buildProjectImages(images: ProjectImages, log: (line: string) => void): Promise<void> {
  await ensureDebianBase(new Docker(), log);
  log(`building ${images.sandboxRuntime} (sandbox/runtime.Dockerfile), ${images.bunBase}, then the services' images`);
  await ensureSandboxImage(images.sandboxRuntime);
  await buildBunBase(images.bunBase);
  // Side by side: the builds wait on the network (npm, Debian's mirror) more than on the CPU. The emulator after
  // the proxy, whose dependency stage it reuses from the cache.
  const proxyThenEmulator = async () => {
    await buildImage(images.proxy, images.bunBase, ROOT, ["--target", "proxy"]);
    await buildImage(images.emulator, images.bunBase, ROOT, ["--target", "emulator"]);
  };
  await Promise.all([proxyThenEmulator(), buildImage(images.sandboxService, images.bunBase, ROOT, ["-f", "sandbox/service.Dockerfile"])]);
}

export async function imageMb(tag: string): Promise<number> {
  return Number(await run(["docker", "image", "inspect", "--format", "{{.Size}}", tag])) / 1e6;
}

/** The group owning the Docker socket: the one the sandbox service's unprivileged user is given. */
export async function dockerSocketGid(): Promise<number> {
  return (await stat(DOCKER_SOCKET)).gid;
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

/** What a check found, or an error saying what was expected instead. */
export type Check = (condition: boolean, what: string, detail: unknown) => void;

const logCheck: Check = (condition, what, detail) => {
  if (!condition) throw new Error(`${what}: ${JSON.stringify(detail)}`);
  console.error(`ok: ${what}`);
};

/** The user an image runs as and the command of its health check (`["NONE"]` when declared off). */
export async function userAndHealthCheck(tag: string): Promise<{ user: string; healthCheck: string[] }> {
  const config = imageConfig.parse(JSON.parse(await docker("image", "inspect", "--format", "{{json .Config}}", tag)));
  return { user: config.User ?? "", healthCheck: config.Healthcheck?.Test ?? [] };
}

const imageConfig = z.looseObject({ User: z.string().optional(), Healthcheck: z.looseObject({ Test: z.array(z.string()) }).nullish() });

export const isUnprivileged = (user: string) => user !== "" && !/^(root|0)(:|$)/.test(user);

/** Every service image names an unprivileged user and a health check; the runtime image's is NONE on purpose. */
async function checkUsersAndHealthChecks(images: ProjectImages, check: Check): Promise<void> {
  for (const tag of [images.proxy, images.emulator, images.sandboxService, images.sandboxRuntime]) {
    const { user, healthCheck } = await userAndHealthCheck(tag);
    check(isUnprivileged(user), `${tag} runs as an unprivileged user`, user);
    check(healthCheck[0] === (tag === images.sandboxRuntime ? "NONE" : "CMD-SHELL"), `${tag} declares its health check`, healthCheck);
  }
}

async function checkProxyAndEmulator(images: ProjectImages, id: string, network: string, check: Check): Promise<void> {
  const emulator = `abp-images-emulator-${id}`;
  await start(emulator, images.emulator, 4010, ["--network", network, "--network-alias", "emulator"], "/_emulator/requests");
  const proxyEnv = ["-e", "BEDROCK_ENDPOINT=http://emulator:4010", "-e", "AWS_BEARER_TOKEN_BEDROCK=local", "-e", "AUTH_MODE=open"];
  const proxy = await start(`abp-images-proxy-${id}`, images.proxy, 8080, ["--network", network, ...proxyEnv]);
  const answer = await fetch(`${proxy}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "sonnet", max_tokens: 50, messages: [{ role: "user", content: "ping from the images check" }] }),
  });
  check(answer.status === 200, "the proxy's container answers a message from the emulator's", { status: answer.status, body: await answer.text() });
}

async function checkProxyContents(images: ProjectImages, check: Check): Promise<void> {
  const unwanted = ["node_modules/dockerode", "node_modules/aws-cdk-lib", "node_modules/constructs", "node_modules/sandbox-service", "emulator", "sandbox", "deploy"];
  const absent = await docker("run", "--rm", "--entrypoint", "sh", images.proxy, "-c", `ls -d ${unwanted.join(" ")} 2>&1 || true`);
  check((absent.match(/No such file/g) ?? []).length === unwanted.length, "the proxy image holds no dockerode, aws-cdk-lib, emulator, sandbox or deploy", absent);
}

async function checkSandboxService(images: ProjectImages, id: string, runtime: "docker" | "bwrap", args: string[], check: Check): Promise<void> {
  const name = `abp-images-sandbox-${runtime}-${id}`;
  const env = { SANDBOX_HOST: "0.0.0.0", SANDBOX_TOKEN: "local", SANDBOX_RUNTIME: runtime, SANDBOX_POOL_SIZE: "1", SANDBOX_IMAGE: images.sandboxRuntime, SANDBOX_SCOPE: `images-${id}` };
  const url = await start(name, images.sandboxService, 8090, [...args, ...Object.entries(env).flatMap(([key, value]) => ["-e", `${key}=${value}`])]);
  const call = async (path: string, body: unknown) => {
    const response = await fetch(`${url}/v1${path}`, { method: "POST", headers: { authorization: "Bearer local", "content-type": "application/json" }, body: JSON.stringify(body) });
    return (await response.json()) as Record<string, unknown>;
  };
  const session = await call("/sessions", { owner: "images" });
  const result = await call(`/sessions/${String(session["session_id"])}/executions`, { owner: "images", code: "print(6 * 7)", tools: [] });
  check(result["status"] === "completed" && result["stdout"] === "42\n", `the sandbox service runs code on ${runtime} (${args.join(" ")})`, { session, result });
}

/** bwrap is refused at start-up, saying why: as the image's user (it needs root), and as root without the security options. */
async function checkBwrapRefusals(images: ProjectImages, check: Check): Promise<void> {
  const refusal = (...args: string[]) =>
    docker("run", "--rm", "-e", "SANDBOX_TOKEN=local", "-e", "SANDBOX_RUNTIME=bwrap", ...args, images.sandboxService).then(
      () => "it started",
      (error: unknown) => String(error),
    );
  const asUser = await refusal();
  check(asUser.includes("needs root"), "as its unprivileged user, the sandbox service refuses bwrap, saying it needs root", asUser);
  const asRoot = await refusal("--user", "0");
  check(asRoot.includes("seccomp=unconfined"), "as root without the security options, it refuses bwrap, naming them", asRoot);
}

/**
 * Users and health checks; the proxy image carries none of the other deployables; the proxy answers through
 * the emulator's container; the sandbox service, unprivileged with the socket's group, runs code on the docker
 * runtime, and as root with the security options sandbox/service.Dockerfile names on bwrap, and refuses bwrap
 * otherwise. `composeRunsTheRest`: the compose test runs the proxy, the emulator and the docker runtime itself,
 * so those two checks are left to it. Removes the containers it started, and the sandboxes they started.
 */
export async function checkImages(images: ProjectImages, check: Check = logCheck, options: { composeRunsTheRest?: boolean } = {}): Promise<void> {
  await checkUsersAndHealthChecks(images, check);
  await checkProxyContents(images, check);
  const id = crypto.randomUUID().slice(0, 8);
  const network = `abp-images-${id}`;
  await docker("network", "create", network);
  try {
    if (!options.composeRunsTheRest) {
      await checkProxyAndEmulator(images, id, network, check);
      const socket = ["-v", `${DOCKER_SOCKET}:${DOCKER_SOCKET}`, "--group-add", String(await dockerSocketGid())];
      await checkSandboxService(images, id, "docker", socket, check);
    }
    const bwrapOptions = ["--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined", "--security-opt", "systempaths=unconfined"];
    await checkSandboxService(images, id, "bwrap", ["--user", "0", ...bwrapOptions], check);
    await checkBwrapRefusals(images, check);
  } finally {
    // Our containers carry the run's id in their name; the sandboxes the docker runtime started, in their label.
    const named = await docker("ps", "-aq", "--filter", `name=abp-images-.*-${id}`);
    const sandboxes = await docker("ps", "-aq", "--filter", `label=abp.sandbox.scope=images-${id}`);
    const containers = `${named}\n${sandboxes}`.split("\n").filter(Boolean);
    if (containers.length > 0) await docker("rm", "-f", ...new Set(containers));
    await docker("network", "rm", network);
  }
}

/** One line per image: its size (what `docker image ls` shows, shared base layers counted in each). */
export async function sizeTable(tags: readonly string[]): Promise<string> {
  const lines = [`${"image".padEnd(36)}${"size MB".padStart(8)}`];
  for (const tag of tags) lines.push(`${tag.padEnd(36)}${(await imageMb(tag)).toFixed(0).padStart(8)}`);
  return lines.join("\n");
}

if (import.meta.main) {
  const images = projectImages("local");
  await buildProjectImages(images, (line) => console.error(line));
  await checkImages(images);
  console.log(await sizeTable([DEBIAN_BASE, ...Object.values(images)]));
}
