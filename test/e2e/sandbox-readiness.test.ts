import { expect, test } from "bun:test";
import { freePort, loopback } from "../support/service-process.ts";
import { startStack } from "../support/stack.ts";

/** /ready names the sandbox service as one of its checks once SANDBOX_URL is set, and only then. */

async function readiness(env: Record<string, string>) {
  const stack = await startStack(env);
  try {
    const response = await fetch(`${stack.proxyUrl}/ready`);
    return { status: response.status, checks: ((await response.json()) as { checks: Record<string, string> }).checks };
  } finally {
    await stack.stop();
  }
}

test("a configured sandbox service that does not answer makes the proxy not ready, saying why", async () => {
  const { status, checks } = await readiness({ SANDBOX_URL: `http://${loopback}:${freePort()}`, SANDBOX_TOKEN: "t" });
  expect(status).toBe(503);
  expect(checks.sandbox).toStartWith("the sandbox service could not be reached");
  expect(checks.bedrock_endpoint).toBe("ok");
});

test("without SANDBOX_URL there is no sandbox check", async () => {
  const { status, checks } = await readiness({});
  expect(status).toBe(200);
  expect(Object.keys(checks)).not.toContain("sandbox");
});
