import { randomBytes } from "node:crypto";
import type { Logger } from "../lib/log.ts";
import { loadSandboxConfig } from "../sandbox/src/config.ts";
import { createService, StartupError } from "../sandbox/src/service.ts";

/**
 * The sandbox service `bun run dev` runs for programmatic tool calling, in the dev server's process
 * (sandbox/src/service.ts, what `bun run sandbox` serves), so PTC works on a fresh checkout: bwrap when it is installed and works, else docker when the daemon answers
 * and has the runtime image (SANDBOX_IMAGE, `bun run sandbox:image`), on a free loopback port with a
 * token made up for this run. The other SANDBOX_* variables of the environment configure it as they
 * would `bun run sandbox`.
 */

export interface DevSandbox {
  /** What the proxy needs to use it. */
  proxyEnv: { SANDBOX_URL: string; SANDBOX_TOKEN: string };
  runtime: string;
  stop(): Promise<void>;
}

const loopback = "127.0.0.1";

/** The sandbox service, or undefined (PTC off, logged once with each runtime's reason) when no runtime works here. */
export async function startDevSandbox(env: Record<string, string | undefined>, log: Logger): Promise<DevSandbox | undefined> {
  const token = randomBytes(24).toString("base64url");
  const reasons: string[] = [];
  const kinds = Bun.which("bwrap", { PATH: env.PATH ?? "" }) ? (["bwrap", "docker"] as const) : (["docker"] as const);
  if (kinds.length === 1) reasons.push("bwrap: not installed (apt-get install bubblewrap)");
  const sandboxLog = log.child({ service: "sandbox" });
  for (const kind of kinds) {
    // Tracing is the process's, turned on by the proxy (lib/tracing.ts): the sandbox's spans go out under the proxy's name.
    const config = loadSandboxConfig({ ...env, OTEL_EXPORTER_OTLP_ENDPOINT: undefined, SANDBOX_TOKEN: token, SANDBOX_RUNTIME: kind, SANDBOX_HOST: loopback, SANDBOX_PORT: "0" });
    try {
      const service = await createService(config, { log: (message, detail) => sandboxLog.info(message, detail === undefined ? undefined : { detail }) });
      const server = Bun.serve({ port: 0, hostname: loopback, fetch: service.app.fetch, idleTimeout: 0 });
      const url = `http://${loopback}:${server.port}`;
      log.info("sandbox service started for programmatic tool calling", { url, runtime: kind });
      return {
        proxyEnv: { SANDBOX_URL: url, SANDBOX_TOKEN: token },
        runtime: kind,
        async stop() {
          await server.stop(true);
          await service.close();
        },
      };
    } catch (error) {
      if (!(error instanceof StartupError)) throw error;
      reasons.push(error.message);
    }
  }
  log.warn(`programmatic tool calling is off: no sandbox runtime works here (${reasons.join("; ")})`);
  return undefined;
}
