import { loadSandboxConfig } from "../../sandbox/src/config.ts";
import { createService } from "../../sandbox/src/service.ts";
import { freshScope, prepareRuntime, type RuntimeKind, scopedRuntime, TEST_IMAGE } from "../sandbox/runtime/runtimes.ts";
import { loopback } from "./service-process.ts";

/**
 * The sandbox service (sandbox/src/service.ts, the code `bun run sandbox` runs) served over loopback
 * HTTP with its token, for the proxy's PTC tests and the bench. It runs in the test's process because
 * only there can it be given a bwrap uid range of its own: the service's main() takes the default
 * range, and a starting service reaps every sandbox of its range (another test's or a dev server's).
 * `env` sets its configuration (short timeouts, caps); the runtime is `kind` in a fresh scope.
 */
export interface SandboxUnderTest {
  url: string;
  token: string;
  /** What a proxy needs to use it. */
  proxyEnv: { SANDBOX_URL: string; SANDBOX_TOKEN: string };
  /** Sandboxes of its scope still running. */
  live(): Promise<number>;
  stop(): Promise<void>;
}

export async function startSandboxService(kind: RuntimeKind, bwrapUidBase: number, env: Record<string, string> = {}): Promise<SandboxUnderTest> {
  await prepareRuntime(kind);
  const token = `sandbox-${crypto.randomUUID()}`;
  const config = loadSandboxConfig({ SANDBOX_TOKEN: token, SANDBOX_POOL_SIZE: "1", SANDBOX_RUNTIME: kind, SANDBOX_IMAGE: TEST_IMAGE, ...env });
  const { runtime, live } = scopedRuntime(kind, freshScope(kind, bwrapUidBase));
  const service = await createService(config, { runtime });
  const server = Bun.serve({ port: 0, hostname: loopback, fetch: service.app.fetch, idleTimeout: 0 });
  const url = `http://${loopback}:${server.port}`;
  return {
    url,
    token,
    proxyEnv: { SANDBOX_URL: url, SANDBOX_TOKEN: token },
    live,
    async stop() {
      await server.stop(true);
      await service.close();
      await runtime.reapOrphans();
    },
  };
}
