import { resolve } from "node:path";
import { testAwsEnv } from "./aws-credentials.ts";
import { answersHttp, loopback, onFreePort, type ServiceProcess, startServiceProcess } from "./service-process.ts";

export type EmulatorProcess = ServiceProcess & { url: string; control(path: string, init?: RequestInit): Promise<Response> };

/**
 * The Bedrock emulator as its own process (`bun emulator/main.ts`), so a load test's upstream does not
 * share the test's event loop. It verifies SigV4 signatures made with the tests' credentials. `args`
 * are more of its command-line flags (the bench's `--max-recorded 0`).
 */
export function startEmulatorProcess(args: string[] = []): Promise<EmulatorProcess> {
  return onFreePort(async (port) => {
    const url = `http://${loopback}:${port}`;
    const service = await startServiceProcess({
      name: `emulator on port ${port}`,
      command: [process.execPath, resolve(import.meta.dir, "../../emulator/main.ts"), "--port", String(port), "--host", loopback, ...args],
      env: { PATH: process.env.PATH ?? "", ...testAwsEnv },
      ready: () => answersHttp(`${url}/_emulator/requests`),
      startupTimeoutMs: 20_000,
    });
    return { ...service, url, control: (path, init) => fetch(`${url}/_emulator/${path}`, init) };
  });
}
