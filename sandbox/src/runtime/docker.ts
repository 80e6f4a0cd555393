/**
 * SandboxRuntime on Docker (through dockerode and the daemon's socket). The
 * container is described by docker-container.ts; this file runs its life:
 * create, attach (stdin/stdout/stderr over one hijacked connection), start,
 * wait, and remove. What isolates and limits is verified by test/sandbox/runtime.
 */
import Docker from "dockerode";
import { PassThrough } from "node:stream";
import { containerOptions, ID_LABEL, SCOPE_LABEL } from "./docker-container.ts";
import { decodeExit } from "./exit-status.ts";
import { looksOutOfMemory, StderrTail } from "./oom-detector.ts";
import type { RuntimeExit, RuntimeProcess, RuntimeSpec, RuntimeStdin, SandboxRuntime } from "./types.ts";

export interface DockerRuntimeOptions {
  /** Image holding python3, prlimit and the runner at /runner (sandbox/runtime.Dockerfile). */
  image: string;
  /** Label value marking this service's containers; services sharing a daemon need different scopes. */
  scope?: string;
  docker?: Docker;
}

const DEFAULT_SCOPE = "sandbox-service";

export class DockerRuntime implements SandboxRuntime {
  readonly kind = "docker" as const;
  private readonly docker: Docker;
  private readonly image: string;
  private readonly scope: string;
  /**
   * Spec ids (the containers' ID_LABEL) this instance is starting or running. Claimed before the
   * create call, so a sweep never takes a container whose creation is still in flight for its own.
   */
  private readonly ours = new Set<string>();

  constructor(options: DockerRuntimeOptions) {
    this.docker = options.docker ?? new Docker();
    this.image = options.image;
    this.scope = options.scope ?? DEFAULT_SCOPE;
  }

  async check(): Promise<void> {
    await this.daemonCall(() => this.docker.ping());
    await this.daemonCall(() => this.docker.getImage(this.image).inspect());
  }

  async start(spec: RuntimeSpec): Promise<RuntimeProcess> {
    this.ours.add(spec.id);
    const container = await this.daemonCall(() => this.docker.createContainer(containerOptions(spec, this.image, this.scope))).catch((error: unknown) => {
      this.ours.delete(spec.id);
      throw error;
    });
    try {
      const stream = await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
      await container.start();
      const proc = new DockerProcess(spec.id, container, stream);
      void proc.exited.finally(() => this.ours.delete(spec.id));
      return proc;
    } catch (error) {
      await container.remove({ force: true }).catch(() => {});
      this.ours.delete(spec.id);
      throw error;
    }
  }

  /** The container's tmpfs mounts count against its memory cgroup (SANDBOX_MEMORY_MB): nothing beyond it. */
  hostTmpfsMb(): number {
    return 0;
  }

  /** A container with our scope label that this instance is not running was lost, or left by an earlier run. */
  async reapOrphans(): Promise<number> {
    const found = await this.daemonCall(() => this.docker.listContainers({ all: true, filters: { label: [`${SCOPE_LABEL}=${this.scope}`] } }));
    const orphans = found.filter((c) => !this.ours.has(c.Labels[ID_LABEL] ?? ""));
    await Promise.all(orphans.map((c) => this.docker.getContainer(c.Id).remove({ force: true }).catch(() => {})));
    return orphans.length;
  }

  /** Turns the two set-up mistakes (no daemon, no image) into errors that say what to do. */
  private async daemonCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/ENOENT|ECONNREFUSED|EACCES/.test(message)) {
        throw new Error(`cannot reach the Docker daemon (${message}): install docker.io and start dockerd, or set DOCKER_HOST`, { cause: error });
      }
      if (/No such image|404/.test(message)) {
        throw new Error(`sandbox image ${this.image} not found: build it with \`bun run sandbox:image\` (or docker build -t ${this.image} sandbox/)`, { cause: error });
      }
      throw error;
    }
  }
}

class DockerProcess implements RuntimeProcess {
  readonly stdin: RuntimeStdin;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly exited: Promise<RuntimeExit>;
  private killedByUs = false;
  private removal: Promise<void> | undefined;

  constructor(
    readonly id: string,
    private readonly container: Docker.Container,
    private readonly stream: NodeJS.ReadWriteStream,
  ) {
    const out = new PassThrough();
    const err = new PassThrough();
    container.modem.demuxStream(stream, out, err);
    const endBoth = () => {
      out.end();
      err.end();
    };
    stream.once("end", endBoth);
    stream.once("close", endBoth);
    // A write after the container ended is not worth a crash; the exit tells the story.
    stream.on("error", endBoth);
    this.stdin = { write: (chunk) => stream.write(chunk), flush: () => undefined, end: () => stream.end() };
    this.stdout = webStream(out);
    // One branch for the caller, one for spotting out-of-memory messages.
    const [forCaller, forOomScan] = webStream(err).tee();
    this.stderr = forCaller;
    this.exited = this.waitForExit(new StderrTail(forOomScan));
  }

  private async waitForExit(tail: StderrTail): Promise<RuntimeExit> {
    const status = await this.container.wait().then(
      (result: { StatusCode: number }) => result.StatusCode,
      () => 137, // removed before the wait began: it was killed
    );
    const oomByCgroup = await this.container.inspect().then((info) => info.State.OOMKilled, () => false);
    await this.remove();
    await tail.done;
    const { code, signal } = decodeExit(status);
    const stderrSaysOom = tail.mentionsOutOfMemory();
    return {
      code,
      signal,
      killed: this.killedByUs,
      oomKilled: !this.killedByUs && (oomByCgroup || looksOutOfMemory({ signal, killedByUs: false, stderrSaysOom })),
    };
  }

  async kill(): Promise<void> {
    this.killedByUs = true;
    await this.remove();
    await this.exited;
  }

  private remove(): Promise<void> {
    this.removal ??= this.container.remove({ force: true }).then(
      () => void this.stream.end(),
      () => void this.stream.end(), // already gone
    );
    return this.removal;
  }
}

/** demuxStream does not wait for its readers (output is bounded by the runner's caps). */
function webStream(source: PassThrough): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      source.on("data", (chunk: Buffer) => controller.enqueue(new Uint8Array(chunk)));
      source.once("end", () => controller.close());
    },
    cancel() {
      source.destroy();
    },
  });
}
