/**
 * Builds the docker runtime's image (sandbox/runtime.Dockerfile) without any registry:
 * its base is a minimal Debian with python3 made by debootstrap and `docker
 * import`ed once as BASE_IMAGE (reused while it exists); the image itself is
 * then a normal build FROM it, cached by the daemon, so a rebuild after a
 * runner change takes a second.
 *
 *   bun run sandbox:image [tag]     (default abp-sandbox:latest)
 *
 * Tests call ensureSandboxImage() themselves; scripts/images.ts builds the
 * services' images on the same Debian base. Needs root (debootstrap), the
 * debootstrap package, and a running dockerd.
 */
import Docker from "dockerode";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";

export const BASE_IMAGE = "abp-sandbox-base:bookworm";
const SANDBOX_DIR = resolve(import.meta.dir, "../sandbox");
const RUNTIME_DOCKERFILE = "runtime.Dockerfile";
const DEBIAN_MIRROR = "http://deb.debian.org/debian";

export async function ensureSandboxImage(tag: string, log: (line: string) => void = () => {}): Promise<void> {
  const docker = new Docker();
  await ensureDebianBase(docker, log);
  await buildFromSandboxDir(docker, tag, log);
}

/** The minimal Debian every offline build starts from, made once. */
export async function ensureDebianBase(docker: Docker, log: (line: string) => void): Promise<void> {
  await docker.ping().catch((error: unknown) => {
    throw new Error(`the Docker daemon is not reachable (${String(error)}): apt-get install docker.io, then start dockerd`);
  });
  if (!(await imageExists(docker, BASE_IMAGE))) await importDebianBase(log);
}

async function imageExists(docker: Docker, name: string): Promise<boolean> {
  return docker.getImage(name).inspect().then(() => true, () => false);
}

const TRIM = `cd "$1" && find var/cache/apt -type f -delete && rm -rf var/lib/apt/lists/* usr/share/locale/* usr/share/man/* usr/share/info/* \\
  && find usr/share/doc -type f ! -name copyright -delete`;

async function importDebianBase(log: (line: string) => void): Promise<void> {
  if (!existsSync("/usr/sbin/debootstrap")) throw new Error("debootstrap not found: apt-get install debootstrap");
  const root = await mkdtemp(join(tmpdir(), "sandbox-rootfs-"));
  try {
    log(`debootstrap: minimal Debian bookworm with python3 into ${root}`);
    await run(["debootstrap", "--variant=minbase", "--include=python3", "bookworm", root, DEBIAN_MIRROR]);
    // What debian:bookworm-slim leaves out too (~130 MB of every image built on it): the downloaded packages,
    // apt's lists (each build that installs runs apt-get update), translations, manuals, docs but their copyright.
    await run(["sh", "-c", TRIM, "sh", root]);
    log(`docker import → ${BASE_IMAGE}`);
    await run(["sh", "-c", `tar -C "$1" -c . | docker import - "$2"`, "sh", root, BASE_IMAGE]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function buildFromSandboxDir(docker: Docker, tag: string, log: (line: string) => void): Promise<void> {
  const runnerFiles = (await readdir(join(SANDBOX_DIR, "runner"))).filter((name) => name.endsWith(".py"));
  // The build context as a tar made by tar(1): dockerode's own packer (tar-fs) sends an empty one under Bun.
  const context = Bun.spawnSync(["tar", "-C", SANDBOX_DIR, "-c", RUNTIME_DOCKERFILE, ...runnerFiles.map((name) => `runner/${name}`)]);
  if (!context.success) throw new Error(`tar of ${SANDBOX_DIR} failed: ${context.stderr.toString()}`);
  const progress = await docker.buildImage(Readable.from([context.stdout]), { t: tag, dockerfile: RUNTIME_DOCKERFILE, buildargs: { BASE_IMAGE }, version: "1" });
  await new Promise<void>((done, fail) => {
    docker.modem.followProgress(
      progress,
      (error: Error | null, events: Array<{ error?: string; stream?: string }>) => {
        const failure = error?.message ?? events.find((event) => event.error !== undefined)?.error;
        if (failure === undefined) done();
        else fail(new Error(`building ${tag} failed: ${failure}`));
      },
      (event: { stream?: string }) => {
        if (event.stream?.trim()) log(event.stream.trim());
      },
    );
  });
}

/** Runs a command to its end; its stdout, or an error with the tail of what it said. */
export async function run(argv: string[], env?: Record<string, string>): Promise<string> {
  const child = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", ...(env ? { env: { ...process.env, ...env } } : {}) });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  if (code !== 0) throw new Error(`${argv.slice(0, 3).join(" ")} exited ${code}: ${(stderr || stdout).slice(-2000)}`);
  return stdout;
}

if (import.meta.main) {
  const tag = process.argv[2] ?? "abp-sandbox:latest";
  await ensureSandboxImage(tag, (line) => console.error(line));
  console.log(tag);
}
