import { z } from "zod";
import { parseEnvironment } from "../../lib/environment.ts";

/**
 * The sandbox service's configuration, read from the environment once at start-up.
 * Nothing else reads `process.env`: everything is passed down from here.
 */
const positiveInt = z.coerce.number().int().positive();

export const sandboxConfigSchema = z.object({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  SANDBOX_HOST: z.string().min(1).default("127.0.0.1"),
  SANDBOX_TOKEN: z.string({ error: "is required" }).min(1, "is required"),
  SANDBOX_RUNTIME: z.enum(["bwrap", "docker"]).default("bwrap"),
  /** The docker runtime's image: python3, prlimit and the runner at /runner (sandbox/runtime.Dockerfile). */
  SANDBOX_IMAGE: z.string().min(1).default("abp-sandbox:latest"),
  /** Docker label value marking this service's containers, found and removed after a crash; one per service on a daemon. */
  SANDBOX_SCOPE: z.string().regex(/^[\w.-]{1,64}$/, "letters, digits, _ . - only").default("sandbox-service"),
  /** bwrap: the first of the 1000 host uids its sandboxes run as (and whose processes it reaps at start); one range per service on a host. */
  SANDBOX_UID_BASE: z.coerce.number().int().min(1000).max(4_294_000_000).default(100_000),
  SANDBOX_POOL_SIZE: z.coerce.number().int().nonnegative().default(2),
  SANDBOX_MEMORY_MB: positiveInt.default(256),
  SANDBOX_CPUS: z.coerce.number().positive().default(0.5),
  SANDBOX_PIDS: positiveInt.default(64),
  /** Wall-clock time the code may run per execution (time waiting for tool results excluded). */
  SANDBOX_EXEC_TIMEOUT_S: z.coerce.number().positive().default(60),
  /** Time the client has to send the results of a batch of tool calls. */
  SANDBOX_TOOL_RESULT_TIMEOUT_S: z.coerce.number().positive().default(600),
  SANDBOX_IDLE_TIMEOUT_S: z.coerce.number().positive().default(270),
  SANDBOX_MAX_SESSIONS: positiveInt.default(50),
  /** Live sessions of one owner at most (429 past it), so one client cannot take the pool from the others. */
  SANDBOX_MAX_SESSIONS_PER_OWNER: positiveInt.default(10),
  SANDBOX_MAX_OUTPUT_BYTES: positiveInt.default(1024 * 1024),
  /** Size of each session's /work (and of its /tmp and /dev/shm), and its largest file: RAM-backed, gone with the session. */
  SANDBOX_WORK_DIR_MB: positiveInt.default(64),
  /**
   * Host RAM all sandboxes' /work, /tmp and /dev/shm together may claim (bwrap: 3 × SANDBOX_WORK_DIR_MB
   * each, warm ones included; docker's count against each container's memory limit instead).
   */
  SANDBOX_MAX_TMPFS_MB: positiveInt.default(4096),
  /** The OTLP/HTTP collector spans go to (`<endpoint>/v1/traces`); unset, tracing is off (lib/tracing.ts). */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default("sandbox-service"),
});

export type SandboxConfig = z.infer<typeof sandboxConfigSchema>;

/** Validates the environment; a wrong value throws a ConfigError naming each bad variable. */
export function loadSandboxConfig(env: Record<string, string | undefined>): SandboxConfig {
  return parseEnvironment(sandboxConfigSchema, env, "sandbox configuration");
}
