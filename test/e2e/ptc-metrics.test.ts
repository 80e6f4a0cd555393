import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BetaMessageParam } from "@anthropic-ai/sdk/resources/beta/messages/messages";
import { type Emulator, startEmulator } from "../../emulator/server.ts";
import { testAwsCredentials, testAwsEnv } from "../support/aws-credentials.ts";
import { parseExposition, type Sample, series } from "../support/prometheus.ts";
import { startProxyProcess } from "../support/proxy-process.ts";
import { ask, codeTurn, ptcRequest, resumeWith, textTurn } from "../support/ptc.ts";
import { type SandboxUnderTest, startSandboxService } from "../support/sandbox-service.ts";
import { emulatorControl, sdkClient } from "../support/stack.ts";

/**
 * PTC's metrics end to end: a proxy process over a bwrap sandbox service runs code once straight
 * through and once paused at a client tool and resumed; the proxy counts each step by outcome, and
 * the sandbox service counts the same steps on its side.
 */

let emulator: Emulator;
let sandbox: SandboxUnderTest;
let proxy: Awaited<ReturnType<typeof startProxyProcess>>;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, credentials: testAwsCredentials });
  sandbox = await startSandboxService("bwrap", 216_000);
  const dbPath = join(mkdtempSync(join(tmpdir(), "abp-ptc-metrics-")), "proxy.db");
  proxy = await startProxyProcess({ ...testAwsEnv, ...sandbox.proxyEnv, BEDROCK_ENDPOINT: emulator.url, SQLITE_PATH: dbPath, AUTH_MODE: "open" });
}, 60_000);
afterAll(async () => {
  await proxy?.stop();
  await sandbox?.stop();
  await emulator?.stop();
});

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

test("execution steps counted by the proxy and by the sandbox service, by step and outcome", async () => {
  const client = sdkClient(proxy.url);
  const control = emulatorControl(emulator.url);
  const model = "claude-sonnet-4-6";

  await control.script(codeTurn("print(6 * 7)"), textTurn("42."));
  expect((await ask(client, ptcRequest(model, [{ role: "user", content: "six times seven?" }]), false)).stop_reason).toBe("end_turn");

  await control.script(codeTurn('print(await get_weather(city="Oslo"))'));
  const messages: BetaMessageParam[] = [{ role: "user", content: "weather in Oslo?" }];
  const paused = await ask(client, ptcRequest(model, messages), true);
  expect(paused.stop_reason).toBe("tool_use");
  await control.script(textTurn("Rain."));
  const resumed = await ask(client, ptcRequest(model, resumeWith(messages, paused, ["12 C, rain"]), { container: paused.container?.id ?? "" }), false);
  expect(resumed.stop_reason).toBe("end_turn");

  const proxySamples = await scrape(proxy.url);
  expect(series(proxySamples, "abp_ptc_steps_total")).toEqual({ "step=execute,outcome=done": 1, "step=execute,outcome=paused": 1, "step=resume,outcome=done": 1 });
  expect(series(proxySamples, "abp_ptc_step_duration_seconds_count")).toEqual({ "outcome=done": 2, "outcome=paused": 1 });
  const sandboxSamples = await scrape(sandbox.url);
  expect(series(sandboxSamples, "abp_sandbox_executions_total")).toEqual({ "step=execute,outcome=completed": 1, "step=execute,outcome=tool_calls": 1, "step=resume,outcome=completed": 1 });
}, 60_000);
