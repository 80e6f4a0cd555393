import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { answersHttp, loopback, onFreePort, type ServiceProcess, startServiceProcess } from "./service-process.ts";

export interface ProxyProcessOptions {
  /** Runs it (e.g. `prlimit --nofile=…` to start it with other limits). */
  launcher?: string[];
  /** Bun's own flags, before the script (the bench's `--cpu-prof`, `--preload`). */
  bunFlags?: string[];
  /** Names it in errors; "proxy on port N" unless set. */
  name?: string;
  /** 20 s unless set: several replicas on DynamoDB Local starting at once on a loaded machine take longer. */
  startupTimeoutMs?: number;
}

/**
 * A proxy replica as its own process (`bun src/main.ts`), configured by `env` alone. Its usage spool
 * is in a fresh temporary directory unless `env` names one, so no run replays another's records.
 * `env` may be a function of the proxy's own URL, for settings that name it (OIDC_REDIRECT_URL).
 */
export function startProxyProcess(
  settings: Record<string, string> | ((url: string) => Record<string, string>),
  options: ProxyProcessOptions = {},
): Promise<ServiceProcess & { url: string }> {
  return onFreePort(async (port) => {
    const url = `http://${loopback}:${port}`;
    const env = typeof settings === "function" ? settings(url) : settings;
    const service = await startServiceProcess({
      name: options.name ?? `proxy on port ${port}`,
      command: [...(options.launcher ?? []), process.execPath, ...(options.bunFlags ?? []), resolve(import.meta.dir, "../../src/main.ts")],
      env: { PATH: process.env.PATH ?? "", PORT: String(port), HOST: loopback, LOG_LEVEL: "warn", USAGE_SPOOL_PATH: temporarySpoolPath(), ...env },
      ready: () => answersHttp(`${url}/health`),
      startupTimeoutMs: options.startupTimeoutMs ?? 20_000,
    });
    return { ...service, url };
  });
}

export function temporarySpoolPath(): string {
  return join(mkdtempSync(join(tmpdir(), "abp-usage-spool-")), "usage-spool.jsonl");
}
