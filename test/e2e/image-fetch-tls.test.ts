import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, startEmulator } from "../../emulator/server.ts";
import { startProxyProcess } from "../support/proxy-process.ts";

/**
 * HTTPS image URLs: the proxy connects to the address it checked, yet the certificate is still
 * verified against the URL's host name. The proxy runs as its own process so it can trust a test CA
 * (NODE_EXTRA_CA_CERTS); `localhost` resolves from /etc/hosts, so nothing leaves loopback.
 */

const pngPixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
const dir = mkdtempSync(join(tmpdir(), "image-tls-"));
let emulator: Emulator;
let proxy: Awaited<ReturnType<typeof startProxyProcess>>;
const servers: ReturnType<typeof Bun.serve>[] = [];

/** A self-signed certificate for one DNS name (and no IP address). */
function certificate(name: string): { cert: string; key: string } {
  if (!Bun.which("openssl")) throw new Error("openssl is not on PATH; the HTTPS image test makes its certificates with it: apt-get install openssl");
  const [cert, key] = [join(dir, `${name}.crt`), join(dir, `${name}.key`)];
  const made = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name}`, "-keyout", key, "-out", cert], { stderr: "pipe" });
  if (made.exitCode !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr.toString()}`);
  return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
}

function tlsImageHost(tls: { cert: string; key: string }) {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", tls, fetch: () => new Response(Buffer.from(pngPixel, "base64"), { headers: { "content-type": "image/png" } }) });
  servers.push(server);
  return String(server.port);
}

let named: string;
let misnamed: string;

beforeAll(async () => {
  const localhost = certificate("localhost");
  const other = certificate("other.test");
  // Both are trusted: the only thing wrong with the second is the name it is for.
  writeFileSync(join(dir, "trusted.pem"), localhost.cert + other.cert);
  named = tlsImageHost(localhost);
  misnamed = tlsImageHost(other);
  emulator = await startEmulator({ port: 0 });
  proxy = await startProxyProcess({
    BEDROCK_ENDPOINT: emulator.url,
    AWS_BEARER_TOKEN_BEDROCK: "test-token",
    AUTH_MODE: "open",
    SQLITE_PATH: ":memory:",
    IMAGE_FETCH_ALLOW_HOSTS: "localhost,127.0.0.1",
    NODE_EXTRA_CA_CERTS: join(dir, "trusted.pem"),
  });
  // Two RSA keys and a proxy process: on a loaded machine far past the hooks' default 5 s.
}, 60_000);
afterAll(async () => {
  await proxy.stop();
  await emulator.stop();
  for (const server of servers) server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

async function send(url: string): Promise<number> {
  const body = { model: "claude-sonnet-4-6", max_tokens: 10, messages: [{ role: "user", content: [{ type: "image", source: { type: "url", url } }, { type: "text", text: "?" }] }] };
  const response = await fetch(`${proxy.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return response.status;
}

test("an https image is fetched from the checked address when the certificate names the URL's host", async () => {
  expect(await send(`https://localhost:${named}/pixel.png`)).toBe(200);
});

test("a certificate for another name is refused, though its CA is trusted and the address allowed", async () => {
  expect(await send(`https://localhost:${misnamed}/pixel.png`)).toBe(400);
});

test("the certificate is checked against the URL's host, not the address connected to", async () => {
  // 127.0.0.1 is allowed, but the certificate names localhost only.
  expect(await send(`https://127.0.0.1:${named}/pixel.png`)).toBe(400);
});
