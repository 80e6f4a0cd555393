import { BedrockRuntimeHttp, type RuntimeOperation } from "../../src/bedrock/runtime/http.ts";
import { sigV4 } from "../../src/bedrock/runtime/signer.ts";

/**
 * The bench's floor: a bare Bun server that takes a Bedrock request (`POST /model/{id}/{operation}`),
 * signs it with SigV4 exactly as the proxy does, sends it to the emulator on Bun's fetch and relays the
 * answer as it comes. No parsing, no conversion, no keys, no usage: what any SigV4 proxy must spend.
 * `bun scripts/bench/forwarder.ts`; BEDROCK_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, PORT, HOST;
 * prints its URL as its first line.
 */

const { BEDROCK_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, PORT = "0", HOST = "127.0.0.1" } = process.env;
if (!BEDROCK_ENDPOINT || !AWS_ACCESS_KEY_ID || !AWS_SECRET_ACCESS_KEY) throw new Error("forwarder: BEDROCK_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required");
const credentials = { accessKeyId: AWS_ACCESS_KEY_ID, secretAccessKey: AWS_SECRET_ACCESS_KEY };
const http = new BedrockRuntimeHttp(new URL(BEDROCK_ENDPOINT), sigV4(async () => credentials, "us-east-1"), "bench-forwarder");
const headers = { "content-type": "application/json", accept: "application/json" };

const server = Bun.serve({
  port: Number(PORT),
  hostname: HOST,
  idleTimeout: 0,
  async fetch(request) {
    const [, , modelId = "", operation = ""] = new URL(request.url).pathname.split("/");
    const upstream = await http.post({ operation: operation as RuntimeOperation, modelId: decodeURIComponent(modelId), body: await request.text(), headers }, request.signal);
    return new Response(upstream.body, { status: upstream.status, headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" } });
  },
  error: (error) => new Response(error.message, { status: 502 }),
});
console.log(`http://${HOST}:${server.port}`);
