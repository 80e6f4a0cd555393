import { expect, test } from "bun:test";
import { freePort, loopback } from "../support/service-process.ts";
import { startStack } from "../support/stack.ts";

/** /ready names the sandbox service as one of its checks once SANDBOX_URL is set, and only then; its failure degrades, never fails, readiness. */

async function readiness(env: Record<string, string>) {
  const stack = await startStack(env);
  try {
    const response = await fetch(`${stack.proxyUrl}/ready`);
    const body = (await response.json()) as { status: string; checks: Record<string, string> };
    return { status: response.status, readiness: body.status, checks: body.checks };
  } finally {
    await stack.stop();
  }
}

test("a configured sandbox service that does not answer leaves the proxy ready but degraded, saying why", async () => {
  const { status, readiness: state, checks } = await readiness({ SANDBOX_URL: `http://${loopback}:${freePort()}`, SANDBOX_TOKEN: "t" });
  // Only PTC needs it: a load balancer must not take every replica out of rotation for it (docs/deploy.md).
  expect(status).toBe(200);
  expect(state).toBe("degraded");
  expect(checks.sandbox).toStartWith("the sandbox service could not be reached");
  expect(checks.bedrock_endpoint).toBe("ok");
});

test("without SANDBOX_URL there is no sandbox check", async () => {
  const { status, readiness: state, checks } = await readiness({});
  expect(status).toBe(200);
  expect(state).toBe("ready");
  expect(Object.keys(checks)).not.toContain("sandbox");
});
