import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import type { BetaMessageParam } from "@anthropic-ai/sdk/resources/beta/messages/messages";
import { SCOPE_LABEL } from "../../sandbox/src/runtime/docker-container.ts";
import { dockerSocketGid } from "../../scripts/images.ts";
import { run } from "../../scripts/sandbox-image.ts";
import { ask, blocks, calledFromCode, codeResult, codeTurn, expectContainer, ptcRequest, ptcRoutes, resumeWith, serverToolUse, serverToolUseId, text, textTurn } from "../support/ptc.ts";
import { freePort, loopback } from "../support/service-process.ts";
import { emulatorControl } from "../support/stack.ts";
import { buildComposeTestImages, composeTestImages as images } from "./images.ts";

/**
 * `docker compose up` of the repository's compose.yaml, run by Debian's docker-compose 1.29 (the older of the
 * two tools the file is written for) from the images test/compose/images.ts builds offline: the proxy, Redis,
 * DynamoDB Local, the emulator profile, the sandbox service on its docker runtime, and Prometheus of the
 * monitoring profile (Grafana has no offline image: left out). The project directory is a temporary folder
 * holding the test's own .env, so the checkout's .env is never read; the proxy is published on a free loopback
 * port only. Everything runs under one project name, and `down -v` must leave nothing of it behind.
 */

const COMPOSE = "/usr/bin/docker-compose";
const COMPOSE_FILE = resolve(import.meta.dir, "../../compose.yaml");
const id = crypto.randomUUID().slice(0, 8);
const project = `abp-compose-${id}`;
const sandboxScope = `compose-${id}`;
const masterKey = `master-${crypto.randomUUID()}`;
const proxyPort = freePort();
const prometheusPort = freePort();
const proxyUrl = `http://${loopback}:${proxyPort}`;
let projectDir = "";
let emulator: ReturnType<typeof emulatorControl>;

const compose = (...args: string[]) => run([COMPOSE, "--project-name", project, "--project-directory", projectDir, "-f", COMPOSE_FILE, ...args]);
const docker = (...args: string[]) => run(["docker", ...args]).then((out) => out.trim());
const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${proxyUrl}/admin/api${path}`, { ...init, headers: { "content-type": "application/json", "x-api-key": masterKey, ...init.headers } });

/** compose.yaml reads its images, ports and the services' settings from .env (interpolation and env_file). */
async function writeProjectDir(): Promise<void> {
  projectDir = await mkdtemp(join(tmpdir(), "abp-compose-"));
  const env = {
    SANDBOX_TOKEN: `sandbox-${crypto.randomUUID()}`,
    DOCKER_GID: String(await dockerSocketGid()),
    PROXY_PUBLISH: `${loopback}:${proxyPort}`,
    PROMETHEUS_PUBLISH: `${loopback}:${prometheusPort}`,
    PROXY_IMAGE: images.proxy,
    EMULATOR_IMAGE: images.emulator,
    SANDBOX_SERVICE_IMAGE: images.sandboxService,
    SANDBOX_IMAGE: images.sandboxRuntime,
    REDIS_IMAGE: images.redis,
    DYNAMODB_IMAGE: images.dynamodb,
    PROMETHEUS_IMAGE: images.prometheus,
    BEDROCK_ENDPOINT: "http://emulator:4010",
    // DynamoDB Local takes any credentials of letters and digits; the emulator, given none, checks no signature.
    AWS_ACCESS_KEY_ID: "composetest",
    AWS_SECRET_ACCESS_KEY: "composetest",
    AUTH_MODE: "keys",
    MASTER_API_KEY: masterKey,
    SANDBOX_SCOPE: sandboxScope,
  };
  await writeFile(join(projectDir, ".env"), Object.entries(env).map(([key, value]) => `${key}=${value}\n`).join(""));
  // Paths in compose.yaml resolve against the project directory: the build context ./sandbox must exist (nothing
  // is built), and Prometheus mounts its configuration from ./observability.
  await mkdir(join(projectDir, "sandbox"));
  await mkdir(join(projectDir, "observability"));
  await copyFile(resolve(import.meta.dir, "../../observability/prometheus.yml"), join(projectDir, "observability/prometheus.yml"));
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await Bun.sleep(500);
  }
  throw new Error(`${what} within ${timeoutMs / 1000} s; the stack's log:\n${await compose("logs", "--tail", "30").catch(String)}`);
}

// Each probe has a deadline of its own: while a container restarts, a connection can be taken and never answered.
const probe = (url: string) => fetch(url, { signal: AbortSignal.timeout(5_000) });
const ready = () => waitFor("the proxy answered /ready", async () => (await probe(`${proxyUrl}/ready`)).ok, 180_000);

async function containerIp(service: string): Promise<string> {
  const container = (await compose("ps", "-q", service)).trim();
  return docker("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container);
}

beforeAll(async () => {
  if (!existsSync(COMPOSE)) throw new Error(`${COMPOSE} not found: apt-get install docker-compose`);
  await buildComposeTestImages();
  await writeProjectDir();
  // Both profiles, and the services named: all but Grafana, which has no offline image.
  await compose("--profile", "emulator", "--profile", "monitoring", "up", "-d", "--no-build", "proxy", "emulator", "prometheus");
  await ready();
  // The emulator is not published: the test scripts it at its address on the stack's network.
  emulator = emulatorControl(`http://${await containerIp("emulator")}:4010`);
}, 900_000);

afterAll(async () => {
  if (projectDir === "") return;
  await compose("down", "-v", "--remove-orphans", "--timeout", "20");
  await rm(projectDir, { recursive: true, force: true });
}, 150_000);

let keyId = "";
let secret = "";
const hello = { model: "claude-sonnet-4-6", max_tokens: 50, messages: [{ role: "user" as const, content: "hello" }] };

test("a key made through the admin API with the master key streams an answer", async () => {
  const created = await admin("/keys", { method: "POST", body: JSON.stringify({ name: "compose", rpm: 100 }) });
  expect(created.status).toBe(201);
  ({ id: keyId, key: secret } = (await created.json()) as { id: string; key: string });
  const client = new Anthropic({ baseURL: proxyUrl, apiKey: secret, maxRetries: 0 });
  const events: string[] = [];
  for await (const event of await client.messages.create({ ...hello, stream: true })) events.push(event.type);
  expect(events[0]).toBe("message_start");
  expect(events).toContain("content_block_delta");
  expect(events.at(-1)).toBe("message_stop");
}, 30_000);

test("a burst past a key's requests per minute is refused with 429, Anthropic's envelope and the limit headers", async () => {
  const created = (await (await admin("/keys", { method: "POST", body: JSON.stringify({ name: "compose burst", rpm: 2 }) })).json()) as { key: string };
  const send = () => fetch(`${proxyUrl}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": created.key }, body: JSON.stringify(hello) });
  const answers = await Promise.all(Array.from({ length: 5 }, send));
  expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 429, 429, 429]);
  const refused = answers.find((answer) => answer.status === 429);
  expect(await refused?.json()).toEqual({ type: "error", error: { type: "rate_limit_error", message: expect.any(String) }, request_id: expect.any(String) });
  expect(refused?.headers.get("anthropic-ratelimit-requests-limit")).toBe("2");
  expect(refused?.headers.get("anthropic-ratelimit-requests-remaining")).toBe("0");
  expect(Number(refused?.headers.get("retry-after"))).toBeGreaterThan(0);
}, 30_000);

test("programmatic tool calling: the code pauses at the client's tool, resumes with its result, and the model answers", async () => {
  const code = 'print(await get_weather(city="Paris"))';
  await emulator.script(codeTurn(code), textTurn("Sunny."));
  const client = new Anthropic({ baseURL: proxyUrl, apiKey: secret, maxRetries: 0 });
  const first: BetaMessageParam[] = [{ role: "user", content: "Weather?" }];
  const paused = await ask(client, ptcRequest(ptcRoutes[0].model, first), true);
  const toolId = serverToolUseId(paused);
  expect(blocks(paused)).toEqual([serverToolUse(code), calledFromCode(toolId, "get_weather", { city: "Paris" })]);
  const container = expectContainer(paused.container).id;
  // The paused code lives in a sandbox container the sandbox service started on the host's daemon.
  expect(await docker("ps", "-q", "--filter", `label=${SCOPE_LABEL}=${sandboxScope}`)).not.toBe("");
  const done = await ask(client, ptcRequest(ptcRoutes[0].model, resumeWith(first, paused, ["Paris: 18C"]), { container }), true);
  expect(blocks(done)).toEqual([codeResult(toolId, "Paris: 18C\n"), text("Sunny.")]);
}, 60_000);

test("Prometheus scrapes the proxy and the sandbox service", async () => {
  const targets = async () => {
    const body = (await (await probe(`http://${loopback}:${prometheusPort}/api/v1/targets`)).json()) as { data: { activeTargets: { labels: { job: string }; health: string }[] } };
    return Object.fromEntries(body.data.activeTargets.map((target) => [target.labels.job, target.health]));
  };
  await waitFor("Prometheus scraped both", async () => JSON.stringify(await targets()) === JSON.stringify({ proxy: "up", sandbox: "up" }), 60_000);
}, 70_000);

test("after the proxy's container restarts, the key and its usage records are still there", async () => {
  await compose("restart", "proxy");
  await ready();
  const key = (await (await admin(`/keys/${keyId}`)).json()) as { name: string };
  expect(key.name).toBe("compose");
  const usage = (await (await admin(`/usage/requests?key_id=${keyId}&limit=10`)).json()) as { data: { status: number }[] };
  // The streamed request and the two turns of the PTC round trip.
  expect(usage.data.map((record) => record.status)).toEqual([200, 200, 200]);
  expect((await new Anthropic({ baseURL: proxyUrl, apiKey: secret, maxRetries: 0 }).messages.create(hello)).type).toBe("message");
}, 240_000);

test("docker compose down -v stops every service on SIGTERM and leaves no container, network, volume or sandbox of the project behind", async () => {
  // A container that ignored SIGTERM would hold `down` for the whole stop timeout before being killed.
  const started = Date.now();
  await compose("down", "-v", "--remove-orphans", "--timeout", "90");
  expect(Date.now() - started).toBeLessThan(60_000);
  const label = `label=com.docker.compose.project=${project}`;
  expect(await docker("ps", "-aq", "--filter", label)).toBe("");
  expect(await docker("network", "ls", "-q", "--filter", label)).toBe("");
  expect(await docker("volume", "ls", "-q", "--filter", label)).toBe("");
  expect(await docker("ps", "-aq", "--filter", `label=${SCOPE_LABEL}=${sandboxScope}`)).toBe("");
}, 150_000);
