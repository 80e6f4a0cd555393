/** Wires config → runtime → warm pool → sessions → HTTP app. Used by main.ts and the tests. */
import { createApp } from "./app.ts";
import type { SandboxConfig } from "./config.ts";
import { SandboxMetrics } from "./metrics.ts";
import { WarmPool } from "./pool.ts";
import { runnerLimits } from "./protocol/limits.ts";
import { BwrapRuntime } from "./runtime/bwrap.ts";
import { DockerRuntime } from "./runtime/docker.ts";
import type { RuntimeLimits, SandboxRuntime } from "./runtime/types.ts";
import { SessionManager } from "./sessions.ts";
import { startTracing } from "../../lib/tracing.ts";

const ORPHAN_SWEEP_MS = 30_000;

export class StartupError extends Error {
  override name = "StartupError";
}

export interface Service {
  app: ReturnType<typeof createApp>;
  pool: WarmPool;
  sessions: SessionManager;
  runtime: SandboxRuntime;
  metrics: SandboxMetrics;
  /** Destroys every session and pooled runtime. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Overrides the runtime (tests use their own uid range). */
  runtime?: SandboxRuntime;
  log?: (message: string, detail?: unknown) => void;
}

export function makeRuntime(config: SandboxConfig): SandboxRuntime {
  if (config.SANDBOX_RUNTIME === "docker") return new DockerRuntime({ image: config.SANDBOX_IMAGE, scope: config.SANDBOX_SCOPE });
  return new BwrapRuntime({ uidBase: config.SANDBOX_UID_BASE });
}

export async function createService(config: SandboxConfig, options: ServiceOptions = {}): Promise<Service> {
  const runtime = options.runtime ?? makeRuntime(config);
  const log = options.log ?? (() => {});
  const reaped = await runtime
    .check()
    .then(() => runtime.reapOrphans())
    .catch((error: unknown) => {
      throw new StartupError(`SANDBOX_RUNTIME=${runtime.kind}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
  if (reaped > 0) log(`reaped ${reaped} orphaned sandbox(es)`);

  const limits: RuntimeLimits = {
    memoryMb: config.SANDBOX_MEMORY_MB,
    cpus: config.SANDBOX_CPUS,
    // Wall-clock limits are ours; this only stops a runner that burns CPU for an hour.
    cpuSeconds: 3600,
    pids: config.SANDBOX_PIDS,
    fileSizeMb: config.SANDBOX_WORK_DIR_MB,
    workDirMb: config.SANDBOX_WORK_DIR_MB,
  };
  const metrics = new SandboxMetrics({ pool: () => pool.stats(), sessions: (): number => sessions.count });
  const pool = new WarmPool(
    { runtime, limits, protocol: runnerLimits(config.SANDBOX_MAX_OUTPUT_BYTES) },
    { size: config.SANDBOX_POOL_SIZE, maxTmpfsMb: config.SANDBOX_MAX_TMPFS_MB, onStart: (ms, ok) => metrics.runtimeStarted(ms, ok) },
    log,
  );
  if (pool.capacity < 1) {
    throw new StartupError(`SANDBOX_MAX_TMPFS_MB=${config.SANDBOX_MAX_TMPFS_MB} leaves no room for one ${runtime.kind} sandbox (${runtime.hostTmpfsMb(limits)} MB each)`);
  }
  pool.fill();
  const sessions = new SessionManager(pool, {
    execTimeoutMs: config.SANDBOX_EXEC_TIMEOUT_S * 1000,
    toolResultTimeoutMs: config.SANDBOX_TOOL_RESULT_TIMEOUT_S * 1000,
    idleTimeoutMs: config.SANDBOX_IDLE_TIMEOUT_S * 1000,
    maxSessions: config.SANDBOX_MAX_SESSIONS,
    maxSessionsPerOwner: config.SANDBOX_MAX_SESSIONS_PER_OWNER,
  });
  sessions.startReaper();
  // Sessions destroy their sandboxes; this catches any a failed kill or a lost daemon call left behind.
  const orphanSweep = setInterval(() => {
    runtime.reapOrphans().then(
      (count) => count > 0 && log(`reaped ${count} orphaned sandbox(es)`),
      (error: unknown) => log("orphan sweep failed", error),
    );
  }, ORPHAN_SWEEP_MS);
  const tracing = startTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME });
  const app = createApp({ token: config.SANDBOX_TOKEN, runtimeKind: runtime.kind, pool, sessions, metrics, log });
  return {
    app,
    pool,
    sessions,
    runtime,
    metrics,
    async close() {
      clearInterval(orphanSweep);
      await sessions.closeAll();
      await pool.close();
      await tracing?.shutdown();
    },
  };
}
