import { parseArgs } from "node:util";
import { startEmulator } from "./server.ts";

/**
 * `bun run emulator -- --port N [--host H] [--max-recorded N]`: runs the Bedrock emulator until killed.
 * With AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in its environment it verifies SigV4 signatures.
 */

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    "max-recorded": { type: "string" },
  },
});

const maxRecorded = values["max-recorded"];
const emulator = await startEmulator({
  port: Number(values.port),
  hostname: values.host,
  ...(maxRecorded === undefined ? {} : { maxRecordedRequests: Number(maxRecorded) }),
  credentials: credentialsFrom(process.env),
});
console.log(emulator.url);

function credentialsFrom(env: Record<string, string | undefined>) {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined;
}

// In a container it is pid 1, for which the kernel has no default action on SIGTERM: without a handler,
// `docker stop` (and `docker compose down`) would wait out their whole timeout before killing it.
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => void emulator.stop().then(() => process.exit(0)));
