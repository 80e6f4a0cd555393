import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { maxRedirects } from "../../src/bedrock/images/fetch-image.ts";
import { fetchConcurrency } from "../../src/bedrock/images/request-images.ts";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * URL images through the proxy: who they may reach (issue 8 item 5) and how much they may cost
 * (item 6). Every packet stays on loopback: names resolve through an injected table (an unknown name
 * is an error, never a DNS query), and what is refused is refused before connecting.
 */

const routes = [
  { name: "InvokeModel", model: "claude-sonnet-4-6", maxImages: 100 },
  { name: "Converse", model: "qwen.qwen3-coder-480b-a35b-v1:0", maxImages: 20 },
] as const;

const pngPixel = new Uint8Array(Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64"));

/** A loopback image host that counts what reaches it. */
function imageHost(hostname: string, port = 0) {
  const seen = { hits: [] as string[], hosts: [] as string[], inFlight: 0, maxInFlight: 0 };
  const server = Bun.serve({
    port,
    hostname,
    fetch: async (request) => {
      const url = new URL(request.url);
      seen.hits.push(url.pathname);
      seen.hosts.push(request.headers.get("host") ?? "");
      seen.inFlight++;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      try {
        return await answer(url);
      } finally {
        seen.inFlight--;
      }
    },
  });
  return { server, seen, reset: () => Object.assign(seen, { hits: [], hosts: [], inFlight: 0, maxInFlight: 0 }) };
}

async function answer(url: URL): Promise<Response> {
  const png = (body: Uint8Array<ArrayBuffer>) => new Response(body, { headers: { "content-type": "image/png" } });
  const [, kind, arg = ""] = url.pathname.split("/");
  if (kind === "pixel.png") return png(pngPixel);
  if (kind === "bytes") return png(new Uint8Array(Number(arg)));
  if (kind === "slow") return Bun.sleep(150).then(() => png(pngPixel));
  if (kind === "page.html") return new Response("<html></html>", { headers: { "content-type": "text/html" } });
  if (kind === "to") return new Response(null, { status: 302, headers: { location: decodeURIComponent(arg) } });
  if (kind === "hops") return Number(arg) === 0 ? png(pngPixel) : new Response(null, { status: 301, headers: { location: `/hops/${Number(arg) - 1}` } });
  return new Response("missing", { status: 404 });
}

const primary = imageHost("127.0.0.1");
const port = primary.server.port;
/** A second host on the same port of another loopback address: what a rebound name would reach. */
const pinned = imageHost("127.0.0.2", port);

let resolutions: string[] = [];
/** The injected DNS: a fixed table, and `rebind.test` answers differently the second time. */
async function resolveHost(host: string): Promise<string[]> {
  resolutions.push(host);
  const table: Record<string, string[]> = {
    "images.test": ["127.0.0.1"],
    "localhost": ["127.0.0.1", "::1"],
    "localhost.": ["127.0.0.1"],
    "metadata.test": ["169.254.169.254"],
    "mixed.test": ["127.0.0.2", "10.9.9.9"],
    "rebind.test": resolutions.filter((h) => h === host).length === 1 ? ["127.0.0.2"] : ["127.0.0.1"],
  };
  const addresses = table[host.toLowerCase()];
  if (!addresses) throw new Error(`ENOTFOUND ${host}`);
  return addresses;
}

let strict: Stack;
let trusting: Stack;
let off: Stack;

beforeAll(async () => {
  // The default: only public addresses, and no loopback server is public.
  strict = await startStack({ IMAGE_FETCH_TIMEOUT_MS: "2000" }, { resolveHost });
  // An operator who trusts one name and one address; a small request budget for the byte caps.
  trusting = await startStack({ IMAGE_FETCH_TIMEOUT_MS: "2000", IMAGE_FETCH_ALLOW_HOSTS: "images.test, 127.0.0.2", MAX_REQUEST_BYTES: "300000" }, { resolveHost });
  off = await startStack({ IMAGE_FETCH: "off" }, { resolveHost });
});
afterAll(async () => {
  primary.server.stop(true);
  pinned.server.stop(true);
  await Promise.all([strict.stop(), trusting.stop(), off.stop()]);
});
beforeEach(() => {
  primary.reset();
  pinned.reset();
  resolutions = [];
});

const image = (url: string) => ({ type: "image", source: { type: "url", url } });

async function send(stack: Stack, model: string, images: unknown[]): Promise<{ status: number; type?: string; message?: string }> {
  const body = { model, max_tokens: 10, messages: [{ role: "user", content: [...images, { type: "text", text: "what is this?" }] }] };
  const response = await fetch(`${stack.proxyUrl}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const answer = (await response.json()) as { error?: { type: string; message: string } };
  return { status: response.status, type: answer.error?.type, message: answer.error?.message };
}

/** The refusal's text with the client's own URL taken out: what would tell one failure from another. */
const shape = (message: string | undefined, url: string) => (message ?? "").replace(url, "<url>");

for (const route of routes) {
  describe(`${route.name}: who image URLs may reach`, () => {
    const loopbackForms = [
      "127.0.0.1", "localhost", "localhost.", "LOCALHOST", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::127.0.0.1]", "[64:ff9b::7f00:1]",
      "0.0.0.0", "[::]", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1", "127.0.0.2",
    ];

    test("every spelling of loopback is refused with the same 400, and nothing is fetched", async () => {
      const messages = new Set<string>();
      for (const host of loopbackForms) {
        const url = `http://${host}:${port}/pixel.png`;
        const answer = await send(strict, route.model, [image(url)]);
        expect({ host, status: answer.status, type: answer.type }).toEqual({ host, status: 400, type: "invalid_request_error" });
        messages.add(shape(answer.message, url));
      }
      expect(primary.seen.hits).toEqual([]);
      expect(pinned.seen.hits).toEqual([]);
      expect(messages.size).toBe(1);
    });

    test("metadata, private and mixed answers are refused before connecting", async () => {
      for (const url of ["http://169.254.169.254/latest/meta-data/", "http://metadata.test/latest/", "http://[fd00:ec2::254]/", "http://10.0.0.1/a.png", "http://100.64.0.1/a.png", `http://mixed.test:${port}/pixel.png`]) {
        expect((await send(strict, route.model, [image(url)])).status).toBe(400);
      }
      // mixed.test has one trusted address and one private one: any refused address refuses the name.
      expect((await send(trusting, route.model, [image(`http://mixed.test:${port}/pixel.png`)])).status).toBe(400);
      expect(pinned.seen.hits).toEqual([]);
    });

    test("an allowed name is fetched from the address it was checked at, with its own Host", async () => {
      const answer = await send(trusting, route.model, [image(`http://images.test:${port}/pixel.png`)]);
      expect(answer.status).toBe(200);
      expect(primary.seen.hits).toEqual(["/pixel.png"]);
      expect(primary.seen.hosts).toEqual([`images.test:${port}`]);
    });

    test("DNS rebinding: the name is resolved once and the connection goes to the checked address", async () => {
      // The first answer (127.0.0.2) is trusted; a second resolution would say 127.0.0.1, which is not.
      const answer = await send(trusting, route.model, [image(`http://rebind.test:${port}/pixel.png`)]);
      expect(answer.status).toBe(200);
      expect(resolutions).toEqual(["rebind.test"]);
      expect(pinned.seen.hits).toEqual(["/pixel.png"]);
      expect(primary.seen.hits).toEqual([]);
    });

    test("credentials in a URL are refused, even for an allowed host", async () => {
      for (const credentials of ["user:pass@", "user@", ":pass@"]) {
        expect((await send(trusting, route.model, [image(`http://${credentials}images.test:${port}/pixel.png`)])).status).toBe(400);
      }
      expect(primary.seen.hits).toEqual([]);
    });

    test("every redirect hop is checked again, and at most three are followed", async () => {
      const to = (target: string) => `http://images.test:${port}/to/${encodeURIComponent(target)}`;
      expect((await send(trusting, route.model, [image(to(`http://127.0.0.1:${port}/pixel.png`))])).status).toBe(400);
      expect((await send(trusting, route.model, [image(to(`http://user:pass@images.test:${port}/pixel.png`))])).status).toBe(400);
      expect((await send(trusting, route.model, [image(to("file:///etc/passwd"))])).status).toBe(400);
      expect(primary.seen.hits).toEqual(["/to/" + encodeURIComponent(`http://127.0.0.1:${port}/pixel.png`), "/to/" + encodeURIComponent(`http://user:pass@images.test:${port}/pixel.png`), "/to/file%3A%2F%2F%2Fetc%2Fpasswd"]);
      primary.reset();
      expect((await send(trusting, route.model, [image(to(`http://127.0.0.2:${port}/pixel.png`))])).status).toBe(200);
      expect(pinned.seen.hits).toEqual(["/pixel.png"]);
      expect((await send(trusting, route.model, [image(`http://images.test:${port}/hops/${maxRedirects}`)])).status).toBe(200);
      primary.reset();
      expect((await send(trusting, route.model, [image(`http://images.test:${port}/hops/${maxRedirects + 1}`)])).status).toBe(400);
      expect(primary.seen.hits).toHaveLength(maxRedirects + 1);
    });

    test("one text for every refusal and failure: nothing tells a closed port from TLS, a 404 or a refusal", async () => {
      const urls = [
        "http://127.0.0.2:1/pixel.png", // closed port on a trusted address
        `https://images.test:${port}/pixel.png`, // TLS to a plain HTTP port
        `http://images.test:${port}/gone.png`, // 404
        `http://images.test:${port}/page.html`, // not an image
        `http://images.test:${port}/bytes/4000000`, // over the per-image cap
        `http://images.test:${port}/to/${encodeURIComponent("http://127.0.0.1:6379/")}`, // redirect inward
        `http://127.0.0.1:${port}/pixel.png`, // refused outright
        `http://unknown.test:${port}/pixel.png`, // does not resolve
        "ftp://images.test/pixel.png", // not http(s)
      ];
      const shapes = new Set<string>();
      for (const url of urls) {
        const answer = await send(trusting, route.model, [image(url)]);
        expect({ url, status: answer.status, type: answer.type }).toEqual({ url, status: 400, type: "invalid_request_error" });
        shapes.add(shape(answer.message, url));
      }
      expect([...shapes]).toHaveLength(1);
      expect([...shapes][0]).not.toMatch(/ECONN|TLS|HTTP \d|404|text\/html|6379/);
    });

    test("IMAGE_FETCH=off: URL images are a clear 400 and nothing is fetched", async () => {
      const answer = await send(off, route.model, [image(`http://images.test:${port}/pixel.png`)]);
      expect(answer.status).toBe(400);
      expect(answer.message).toContain("IMAGE_FETCH=off");
      expect(resolutions).toEqual([]);
      expect(primary.seen.hits).toEqual([]);
    });
  });

  describe(`${route.name}: how much image URLs may cost`, () => {
    test(`more than ${route.maxImages} images is a 400 before any fetch (500 URLs: no fetch)`, async () => {
      for (const count of [route.maxImages + 1, 500]) {
        const urls = Array.from({ length: count }, (_, i) => image(`http://images.test:${port}/pixel.png?${i}`));
        const answer = await send(trusting, route.model, urls);
        expect(answer.status).toBe(400);
        expect(answer.message).toContain(`at most ${route.maxImages}`);
      }
      expect(resolutions).toEqual([]);
      expect(primary.seen.hits).toEqual([]);
    });

    test("decoded image bytes over MAX_REQUEST_BYTES are a 400, base64 and fetched counted together", async () => {
      const big = (i: number) => image(`http://images.test:${port}/bytes/100000?${i}`);
      const over = await send(trusting, route.model, [big(1), big(2), big(3), big(4)]);
      expect(over.status).toBe(400);
      expect(over.message).toContain("MAX_REQUEST_BYTES");
      const base64 = { type: "image", source: { type: "base64", media_type: "image/png", data: Buffer.alloc(150_000).toString("base64") } };
      const mixed = await send(trusting, route.model, [base64, big(5), big(6)]);
      expect(mixed.status).toBe(400);
      expect(mixed.message).toContain("MAX_REQUEST_BYTES");
      expect((await send(trusting, route.model, [base64, big(7)])).status).toBe(200);
    });

    test(`URL images are fetched at most ${fetchConcurrency} at a time`, async () => {
      const urls = Array.from({ length: 20 }, (_, i) => image(`http://images.test:${port}/slow/${i}`));
      expect((await send(trusting, route.model, urls)).status).toBe(200);
      expect(primary.seen.hits).toHaveLength(20);
      // The bound is what matters; on a loaded machine fewer may overlap.
      expect(primary.seen.maxInFlight).toBeLessThanOrEqual(fetchConcurrency);
      expect(primary.seen.maxInFlight).toBeGreaterThan(1);
    });
  });
}
