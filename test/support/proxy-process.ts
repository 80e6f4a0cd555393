import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { answersHttp, loopback, onFreePort, type ServiceProcess, startServiceProcess } from "./service-process.ts";

/**
 * A proxy replica as its own process (`bun src/main.ts`), configured by `env` alone. Its usage spool
 * is in a fresh temporary directory unless `env` names one, so no test replays another's records.
 * `launcher` runs it (e.g. `prlimit --nofile=…` to start it with other limits).
 */
export function startProxyProcess(env: Record<string, string>, launcher: string[] = []): Promise<ServiceProcess & { url: string }> {
  return onFreePort(async (port) => {
    const url = `http://${loopback}:${port}`;
    const service = await startServiceProcess({
      name: `proxy on port ${port}`,
      command: [...launcher, "bun", resolve(import.meta.dir, "../../src/main.ts")],
      env: { PATH: process.env.PATH ?? "", PORT: String(port), HOST: loopback, LOG_LEVEL: "warn", USAGE_SPOOL_PATH: temporarySpoolPath(), ...env },
      ready: () => answersHttp(`${url}/health`),
      startupTimeoutMs: 20_000,
    });
    return { ...service, url };
  });
}

export function temporarySpoolPath(): string {
  return join(mkdtempSync(join(tmpdir(), "abp-usage-spool-")), "usage-spool.jsonl");
}
