import { afterAll, beforeAll, expect, test } from "bun:test";
import type { BetaMessageParam } from "@anthropic-ai/sdk/resources/beta/messages/messages";
import { ask, blocks, calledFromCode, codeResult, codeTurn, expectContainer, ptcRequest, ptcRoutes, resumeWith, serverToolUse, serverToolUseId, text, textTurn } from "../support/ptc.ts";
import { type SandboxUnderTest, startSandboxService } from "../support/sandbox-service.ts";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * One Programmatic Tool Calling conversation with the sandbox service on its docker runtime (image
 * abp-sandbox:test, built by `bun run sandbox:image` or on first use): the other PTC files run on bwrap.
 */

let sandbox: SandboxUnderTest;
let stack: Stack;

beforeAll(async () => {
  sandbox = await startSandboxService("docker", 0);
  stack = await startStack(sandbox.proxyEnv);
}, 300_000);
afterAll(async () => {
  await stack?.stop();
  await sandbox?.stop();
});

test("docker runtime: a pause at a tool call, the resume, the code's output to the model", async () => {
  const code = 'print(await get_weather(city="Paris"))';
  await stack.script(codeTurn(code), textTurn("Sunny."));
  const client = stack.client();
  const first: BetaMessageParam[] = [{ role: "user", content: "Weather?" }];
  const paused = await ask(client, ptcRequest(ptcRoutes[0].model, first), false);
  const id = serverToolUseId(paused);
  expect(blocks(paused)).toEqual([serverToolUse(code), calledFromCode(id, "get_weather", { city: "Paris" })]);
  const container = expectContainer(paused.container).id;
  const done = await ask(client, ptcRequest(ptcRoutes[0].model, resumeWith(first, paused, ["Paris: 18C"]), { container }), false);
  expect(blocks(done)).toEqual([codeResult(id, "Paris: 18C\n"), text("Sunny.")]);
}, 30_000);
