import { errorResponse } from "./errors.ts";
import { RequestLog } from "./request-log.ts";
import { createFetchHandler } from "./router.ts";
import { TurnQueue } from "./script.ts";
import type { EmulatorCredentials } from "./sigv4.ts";

/**
 * A Bun HTTP server that speaks Bedrock Runtime's wire protocol (and the two control-plane reads), so
 * the real AWS SDK talks to it unchanged. Tests script it through `/_emulator/*`.
 */

export interface EmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  hostname?: string;
  /** How many requests `/_emulator/requests` keeps (oldest dropped first); 0 keeps none. Default 10 000. */
  maxRecordedRequests?: number;
  /** When set, SigV4 signatures must be made with these, as Bedrock would check them; otherwise any passes. */
  credentials?: EmulatorCredentials | undefined;
}

export interface Emulator {
  /** `http://host:port`, usable as the SDK's `endpoint`. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const hostname = options.hostname ?? "127.0.0.1";
  const server = Bun.serve({
    port: options.port ?? 0,
    hostname,
    // Scripted delays can hold a stream open far longer than Bun's 10 s default idle timeout.
    idleTimeout: 0,
    fetch: createFetchHandler({ turns: new TurnQueue(), requests: new RequestLog(options.maxRecordedRequests ?? 10_000) }, options.credentials),
    error: (error) => errorResponse("InternalServerException", `Emulator failure: ${error.message}`),
  });
  const port = server.port ?? 0;
  return {
    url: `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
    port,
    stop: () => server.stop(true),
  };
}
