import { resolve } from "node:path";
import { answersHttp, loopback, onFreePort, type ServiceProcess, startServiceProcess } from "./service-process.ts";

/**
 * A proxy replica as its own process (`bun src/main.ts`), configured by `env` alone. `launcher` runs
 * it (e.g. `prlimit --nofile=…` to start it with other limits).
 */
export function startProxyProcess(env: Record<string, string>, launcher: string[] = []): Promise<ServiceProcess & { url: string }> {
  return onFreePort(async (port) => {
    const url = `http://${loopback}:${port}`;
    const service = await startServiceProcess({
      name: `proxy on port ${port}`,
      command: [...launcher, "bun", resolve(import.meta.dir, "../../src/main.ts")],
      env: { PATH: process.env.PATH ?? "", PORT: String(port), HOST: loopback, LOG_LEVEL: "warn", ...env },
      ready: () => answersHttp(`${url}/health`),
      startupTimeoutMs: 20_000,
    });
    return { ...service, url };
  });
}
