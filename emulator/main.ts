import { parseArgs } from "node:util";
import { startEmulator } from "./server.ts";

/** `bun run emulator -- --port N [--host H] [--max-recorded N]`: runs the Bedrock emulator until killed. */

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
});
console.log(emulator.url);
