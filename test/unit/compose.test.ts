import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { z } from "zod";

/**
 * compose.yaml wires the proxy to the sandbox service, in the syntax Compose v2 and docker-compose 1.29
 * both take (checked by hand with `docker-compose config` 1.29.2; neither is needed to run this test).
 */

const service = z.looseObject({
  environment: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  env_file: z.union([z.string(), z.array(z.string())]).optional(),
  depends_on: z.union([z.array(z.string()), z.record(z.string(), z.unknown())]).optional(),
});
const composeFile = z.object({ services: z.record(z.string(), service) });

const parsed = composeFile.safeParse(Bun.YAML.parse(await Bun.file(resolve(import.meta.dir, "../../compose.yaml")).text()));
const { proxy, sandbox } = parsed.data?.services ?? {};

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
