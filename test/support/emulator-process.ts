import { resolve } from "node:path";
import { testAwsEnv } from "./aws-credentials.ts";
import { answersHttp, loopback, onFreePort, type ServiceProcess, startServiceProcess } from "./service-process.ts";

/**
 * The Bedrock emulator as its own process (`bun emulator/main.ts`), so a load test's upstream does not
 * share the test's event loop. It verifies SigV4 signatures made with the tests' credentials.
 */
export function startEmulatorProcess(): Promise<ServiceProcess & { url: string; control(path: string, init?: RequestInit): Promise<Response> }> {
  return onFreePort(async (port) => {
    const url = `http://${loopback}:${port}`;
    const service = await startServiceProcess({
      name: `emulator on port ${port}`,
      command: ["bun", resolve(import.meta.dir, "../../emulator/main.ts"), "--port", String(port), "--host", loopback],
      env: { PATH: process.env.PATH ?? "", ...testAwsEnv },
      ready: () => answersHttp(`${url}/_emulator/requests`),
      startupTimeoutMs: 20_000,
    });
    return { ...service, url, control: (path, init) => fetch(`${url}/_emulator/${path}`, init) };
  });
}
