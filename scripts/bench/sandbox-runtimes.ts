import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { PassThrough } from "node:stream";
import Docker from "dockerode";
import { SCOPE_LABEL } from "../../sandbox/src/runtime/docker-container.ts";
import { type HostProcess, processTable } from "../../sandbox/src/runtime/host-processes.ts";
import { ensureSandboxImage } from "../sandbox-image.ts";
import { commandLine, pss } from "./proc.ts";

/**
 * What the sandbox section needs to know about each runtime it measures: how the service is
 * configured for it, how long a freshly started runner needs, which baselines sit next to its
 * print(1), how its idle sessions' memory is counted, and how to tell (and clear) what a run left
 * behind. sandbox.ts drives both through this one interface.
 */

export type SandboxRuntimeName = "bwrap" | "docker";

/** The docker runtime's image, as the tests use it: built offline by ensureSandboxImage. */
export const benchImage = "abp-sandbox:test";

/** Words the report needs to describe a runtime's figures. */
export interface RuntimeDescription {
  name: SandboxRuntimeName;
  /** What a leftover is, plural-tolerant: "sandbox-uid process(es)". */
  leftoverNoun: string;
  memoryNotes: string[];
}

/** One way of summing idle sessions' memory; `headline` marks the per-session figure the summary quotes. */
export interface MemorySum {
  label: string;
  bytes: number;
  headline: boolean;
}

export interface MemorySnapshot {
  /** Same labels, in the same order, on every snapshot of one runtime. */
  sums: MemorySum[];
  /** What the sums were taken over, e.g. "72 sandbox-uid processes". */
  population: string;
}

/** A print(1) done without the service, for the execution's ratios. */
export interface Baseline {
  label: string;
  /** For the report: what exactly one sample does. */
  description: string;
  /** One sample per this many sandbox executions: a slow baseline is sampled less often. */
  every: number;
  sample(): Promise<number>;
}

export interface RuntimeUnderTest {
  describe: RuntimeDescription;
  /** The service's environment for this runtime, over the settings every run shares. */
  serviceEnv: Record<string, string>;
  /** Before its first service starts. */
  prepare(log: (line: string) => void): Promise<void>;
  /** Baselines besides the direct python3 spawn every runtime is held against. */
  baselines: Baseline[];
  /** The sandboxes' memory now; `servicePid` is the service process, whose descendants some runtimes count. */
  memory(servicePid: number): Promise<MemorySnapshot>;
  /** Sandboxes still there once its services have stopped: each one a failure of clean-up. */
  leftovers(): Promise<number>;
  /** Removes whatever a run (even a failed or interrupted one) left; safe to call more than once. */
  cleanUp(): Promise<void>;
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

async function pssSum(found: readonly HostProcess[]): Promise<number> {
  return sum(await Promise.all(found.map((p) => pss(p.pid))));
}

/**
 * bwrap: main.ts always uses BwrapRuntime's default uid range (100000-100999; the config has no
 * setting for it); the tests use 180000-195999, so the bench never touches a test's sandboxes.
 * Every process of that range is one of the service's sandboxes, which is how memory and
 * leftovers are counted. A starting service reaps the whole range, so its services must run one
 * at a time; leftovers are only reported (the next service start reaps them).
 */
export function bwrapUnderTest(): RuntimeUnderTest {
  const uidBase = 100_000;
  const uidCount = 1000;
  const inRange = (uid: number) => uid >= uidBase && uid < uidBase + uidCount;
  return {
    describe: {
      name: "bwrap",
      leftoverNoun: "sandbox-uid process(es)",
      memoryNotes: ["(RSS sums count shared pages once per process; PSS splits them, so it is the better per-session figure)"],
    },
    serviceEnv: {},
    prepare: async () => {},
    baselines: [],
    async memory(servicePid) {
      const all = await processTable();
      const owned = all.filter((p) => inRange(p.uid));
      return {
        sums: [
          { label: "sandbox uid range, RSS sum", bytes: sum(owned.map((p) => p.rss)), headline: false },
          { label: "sandbox uid range, PSS sum", bytes: await pssSum(owned), headline: true },
          { label: "service's descendants (bwrap too), RSS", bytes: sum(descendants(all, servicePid).map((p) => p.rss)), headline: false },
        ],
        population: `${owned.length} sandbox-uid processes`,
      };
    },
    leftovers: async () => (await processTable()).filter((p) => inRange(p.uid)).length,
    cleanUp: async () => {},
  };
}

function descendants(all: readonly HostProcess[], root: number): HostProcess[] {
  const children = new Map<number, HostProcess[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const tree: HostProcess[] = [];
  const queue = [...(children.get(root) ?? [])];
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    tree.push(p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return tree;
}

/** cgroupfs driver on cgroup v1 (this machine's): each container's memory cgroup is a directory named by its full id. */
const cgroupV1Root = "/sys/fs/cgroup/memory/docker";

/** Reads one figure of a container's memory cgroup, given its full id. */
interface CgroupMeasure {
  label: string;
  headline: boolean;
  read(id: string): Promise<number>;
}

function cgroupMeasures(docker: Docker): CgroupMeasure[] {
  if (existsSync(cgroupV1Root)) {
    const file = (id: string, name: string) => readFile(`${cgroupV1Root}/${id}/${name}`, "utf8");
    return [
      // The cgroup's whole charge (anonymous memory, the tmpfs, page cache it faulted in first): what its memory limit is held against.
      { label: "containers' cgroups, memory.usage_in_bytes", headline: true, read: async (id) => Number((await file(id, "memory.usage_in_bytes")).trim()) },
      { label: "containers' cgroups, total_rss (memory.stat)", headline: false, read: async (id) => Number(/^total_rss (\d+)$/m.exec(await file(id, "memory.stat"))?.[1] ?? 0) },
    ];
  }
  // Another cgroup layout (v2, systemd driver): the daemon's own reading of the same charge.
  return [{ label: "containers' memory_stats.usage (Docker API)", headline: true, read: async (id) => (await docker.getContainer(id).stats({ stream: false })).memory_stats.usage }];
}

/**
 * docker: every container the bench's services create carries the label abp.sandbox.scope=<scope>,
 * a scope of this run's own, and its `docker run` baselines carry <scope>.baseline (a service's
 * periodic orphan sweep removes any container of its scope it did not start, a baseline's
 * included). Leftovers are exactly the containers of those two scopes; clean-up force-removes
 * them. An interrupted bench (Ctrl-C, or an exit with the service SIGKILLed) gets the same removal
 * from an exit hook, through the docker CLI since an exit handler cannot wait for a promise.
 */
export function dockerUnderTest(scope: string): RuntimeUnderTest {
  const docker = new Docker();
  const baselineScope = `${scope}.baseline`;
  const labels = [scope, baselineScope].map((value) => `${SCOPE_LABEL}=${value}`);
  const measures = cgroupMeasures(docker);
  const running = async () => docker.listContainers({ filters: { label: [`${SCOPE_LABEL}=${scope}`], status: ["running"] } });
  // Label filters given together must all match: one listing per label.
  const everyOne = async () => (await Promise.all(labels.map((label) => docker.listContainers({ all: true, filters: { label: [label] } })))).flat();
  const removeAll = async () => {
    for (const container of await everyOne()) await docker.getContainer(container.Id).remove({ force: true }).catch(() => {});
  };
  const removeOnExit = () => {
    for (const label of labels) {
      const listed = Bun.spawnSync(["docker", "ps", "-aq", "--filter", `label=${label}`], { stderr: "ignore" });
      const ids = listed.stdout.toString().split(/\s+/).filter(Boolean);
      if (ids.length > 0) Bun.spawnSync(["docker", "rm", "-f", ...ids], { stdout: "ignore", stderr: "ignore" });
    }
  };
  return {
    describe: {
      name: "docker",
      leftoverNoun: `container(s) labelled ${labels.join(" or ")}`,
      memoryNotes: [
        `(per session: Δ ${measures.find((m) => m.headline)?.label ?? "?"} ÷ sessions; a page-cache page is charged to the first cgroup that read it, so the image's files count once)`,
        "(containerd-shim: one per container, outside its cgroup; RSS counts the shim's shared pages once per shim, PSS splits them)",
      ],
    },
    serviceEnv: { SANDBOX_IMAGE: benchImage, SANDBOX_SCOPE: scope },
    async prepare(log) {
      process.on("exit", removeOnExit);
      log(`  building ${benchImage} if needed (scripts/sandbox-image.ts)`);
      await ensureSandboxImage(benchImage);
    },
    baselines: [
      {
        label: "docker run --rm (dockerode)",
        description: `a container of ${benchImage} running python3 -c "print(1)", no network: create, attach, start, wait, remove`,
        // ~130 ms each here, four times a direct spawn: 10 samples over 100 executions.
        every: 10,
        sample: () => dockerRun(docker, baselineScope),
      },
    ],
    async memory() {
      const containers = await running();
      const ids = new Set(containers.map((c) => c.Id));
      const cgroupSums = await Promise.all(
        measures.map(async (measure) => ({
          label: measure.label,
          headline: measure.headline,
          bytes: sum(await Promise.all(containers.map((c) => measure.read(c.Id).catch(() => 0)))),
        })),
      );
      const all = await processTable();
      const shims: HostProcess[] = [];
      for (const p of all.filter((p) => p.name.startsWith("containerd-shim"))) {
        // A shim runs as `containerd-shim-runc-v2 -namespace moby -id <full container id> …`.
        const argv = await commandLine(p.pid);
        const idAt = argv.indexOf("-id");
        if (idAt >= 0 && ids.has(argv[idAt + 1] ?? "")) shims.push(p);
      }
      const daemons = all.filter((p) => p.name === "dockerd" || p.name === "containerd");
      return {
        sums: [
          ...cgroupSums,
          { label: "their containerd-shims, RSS", bytes: sum(shims.map((p) => p.rss)), headline: false },
          { label: "their containerd-shims, PSS", bytes: await pssSum(shims), headline: false },
          { label: "dockerd + containerd, RSS", bytes: sum(daemons.map((p) => p.rss)), headline: false },
        ],
        population: `${containers.length} running containers of the scope, ${shims.length} shims`,
      };
    },
    leftovers: async () => (await everyOne()).length,
    async cleanUp() {
      await removeAll();
      process.off("exit", removeOnExit);
    },
  };
}

/** What `docker run --rm <image> python3 -c 'print(1)'` does, through the same client the runtime uses. */
async function dockerRun(docker: Docker, baselineScope: string): Promise<number> {
  const began = performance.now();
  const container = await docker.createContainer({
    Image: benchImage,
    Cmd: ["python3", "-c", "print(1)"],
    Labels: { [SCOPE_LABEL]: baselineScope },
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    NetworkDisabled: true,
    HostConfig: { NetworkMode: "none" },
  });
  let out = "";
  let status: number;
  try {
    // Attached before the start, as `docker run` does, so no output is missed.
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const stdout = new PassThrough();
    stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    container.modem.demuxStream(stream, stdout, new PassThrough().resume());
    const streamEnded = new Promise<void>((done) => stream.once("end", done).once("close", done));
    await container.start();
    ({ StatusCode: status } = (await container.wait()) as { StatusCode: number });
    await streamEnded;
  } catch (error) {
    await container.remove({ force: true }).catch(() => {});
    throw error;
  }
  await container.remove({ force: true });
  const elapsed = performance.now() - began;
  if (out !== "1\n" || status !== 0) throw new Error(`docker run print(1): exit ${status}, ${JSON.stringify(out)}`);
  return elapsed;
}
