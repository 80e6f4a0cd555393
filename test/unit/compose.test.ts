import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { z } from "zod";

/**
 * compose.yaml wires the proxy to the sandbox service, in the syntax Compose v2 and docker-compose 1.29
 * both take (test/compose/compose.test.ts runs the file with docker-compose 1.29; this test needs neither).
 */

const service = z.looseObject({
  image: z.string().optional(),
  group_add: z.array(z.string()).optional(),
  user: z.string().optional(),
  environment: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  env_file: z.union([z.string(), z.array(z.string())]).optional(),
  depends_on: z.union([z.array(z.string()), z.record(z.string(), z.unknown())]).optional(),
});
const composeFile = z.object({ services: z.record(z.string(), service) });

const parsed = composeFile.safeParse(Bun.YAML.parse(await Bun.file(resolve(import.meta.dir, "../../compose.yaml")).text()));
const services = parsed.data?.services ?? {};
const { proxy, sandbox } = services;

test("the proxy reaches the sandbox service by its name and port, with the token they both take from SANDBOX_TOKEN", () => {
  const url = new URL(String(proxy?.environment?.SANDBOX_URL));
  expect(url.hostname).toBe("sandbox");
  expect(url.port).toBe(String(sandbox?.environment?.SANDBOX_PORT));
  expect(sandbox?.environment?.SANDBOX_HOST).toBe("0.0.0.0");
  const token = proxy?.environment?.SANDBOX_TOKEN;
  expect(token).toStartWith("${SANDBOX_TOKEN:?");
  expect(sandbox?.environment?.SANDBOX_TOKEN).toBe(token);
  expect(proxy?.depends_on).toContain("sandbox");
});

test("only syntax docker-compose 1.29 knows: env_file as paths, not the long form of Compose 2.24", () => {
  expect(parsed.error?.issues ?? []).toEqual([]);
});

test("every service's image is a variable whose default is the public image, so the compose test can run its own", () => {
  for (const [name, { image }] of Object.entries(services)) expect({ name, image }).toEqual({ name, image: expect.stringMatching(/^\$\{[A-Z_]+_IMAGE:-[\w./:-]+\}$/) });
});

test("the sandbox service runs as its image's unprivileged user, given only the Docker socket's group", () => {
  expect(sandbox?.user).toBeUndefined();
  expect(sandbox?.group_add).toEqual([expect.stringMatching(/^\$\{DOCKER_GID:\?/)]);
});
