import type { Logger } from "../../lib/log.ts";
import type { Config } from "../config.ts";
import type { ContainerStore } from "./containers/container-store.ts";
import { MemoryContainerStore } from "./containers/memory.ts";
import { RedisContainerStore } from "./containers/redis.ts";
import { createSandboxClient, type SandboxClient } from "./sandbox-client.ts";

export interface PtcServices {
  sandbox: SandboxClient;
  containers: ContainerStore;
  close(): Promise<void>;
}

/**
 * What programmatic tool calling runs on: the sandbox service's client and the container store
 * (Redis when REDIS_URL is set, so replicas resume each other's containers; memory otherwise).
 * undefined when SANDBOX_URL is unset: PTC is off (the config refuses a URL without a token).
 */
export function createPtcServices(config: Config, log: Logger, onRedisError?: (connection: string) => void): PtcServices | undefined {
  if (config.SANDBOX_URL === undefined || config.SANDBOX_TOKEN === undefined) return undefined;
  const sandbox = createSandboxClient({ url: config.SANDBOX_URL, token: config.SANDBOX_TOKEN, timeoutMs: config.SANDBOX_REQUEST_TIMEOUT_MS });
  const containers = config.REDIS_URL
    ? new RedisContainerStore({ url: config.REDIS_URL, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, log, onConnectionError: onRedisError })
    : new MemoryContainerStore();
  return { sandbox, containers, close: () => containers.close() };
}
