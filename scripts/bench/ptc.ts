import { z } from "zod";
import { queueScript, resetEmulator } from "./emulator-control.ts";
import { type Service, startProxy } from "./processes.ts";
import { bounded, Client, sandboxToken, startSandbox, type Stats, stats } from "./sandbox.ts";
import { bwrapUnderTest } from "./sandbox-runtimes.ts";
import { type SandboxTap, type SandboxTime, startSandboxTap } from "./sandbox-tap.ts";
import { claudeModel, type PreparedRequest, prepareRequest, timeStream } from "./workload.ts";

/**
 * Section 6: Programmatic Tool Calling through the proxy (issue 10 point 12), over a sandbox service on
 * bwrap started as in production and the bench's emulator. The proxy reaches the service through a
 * timing hop (sandbox-tap.ts), so each request's time splits into the sandbox's work on the code and the
 * rest. Each iteration, interleaved so all see the same machine, times:
 *   - one model turn straight to the emulator (streamed, as the PTC loop calls the model): the
 *     emulator's time per model call;
 *   - print(1), and a tool call's results posted, straight to the sandbox service: its own time, for reference;
 *   - a code-only request through the proxy (model call, print(1) in the container, model call);
 *   - a request that pauses at a tool call the code makes, then the timed resume: the client's
 *     tool_result in → the answer out (results posted, the code ends, one model call).
 * One container serves every request (each names it), as a client's conversation reuses its own.
 */

export interface PtcFigures {
  emulatorTurn: Stats;
  sandboxExecution: Stats;
  sandboxToolResults: Stats;
  codeOnly: Stats;
  resume: Stats;
  /** The sandbox's work within each resume, and within each code-only request, as the tap timed it. */
  sandboxInResume: Stats;
  sandboxInCodeOnly: Stats;
  /** The proxy's other calls to the sandbox service within each resume (in its own time below). */
  lookupsInResume: Stats;
  /** Each resume less the sandbox's work in it and the iteration's emulator turn: the proxy's own time. */
  resumeOwn: Stats;
  /** Each code-only request less the sandbox's work in it. */
  codeOnlyAbove: Stats;
  failures: number;
  firstFailure: string | undefined;
}

const codeTool = { type: "code_execution_20250825", name: "code_execution" };
const lookupTool = { name: "lookup", description: "bench tool", input_schema: { type: "object", properties: { n: { type: "integer" } } }, allowed_callers: [codeTool.type] };
const toolCode = "print(await lookup(n=1))";
const codeCall = (code: string) => ({ content: [{ toolUse: { name: codeTool.name, input: { code } } }] });
const finalTurn = { content: [{ text: "Done." }] };
const question = [{ role: "user", content: "Run it." }];
const headers = { "content-type": "application/json", "anthropic-version": "2023-06-01", "anthropic-beta": "advanced-tool-use-2025-11-20" };

const answerSchema = z.looseObject({
  stop_reason: z.string(),
  container: z.looseObject({ id: z.string() }).nullish(),
  content: z.array(z.looseObject({ type: z.string(), id: z.string().optional() })),
});
type Answer = z.infer<typeof answerSchema>;

/** Requests through the proxy, all in one container (the first answer's). */
class PtcLane {
  private container: string | undefined;

  constructor(
    private readonly proxyUrl: string,
    private readonly emulatorUrl: string,
    private readonly tap: SandboxTap,
  ) {}

  private async send(body: Record<string, unknown>): Promise<{ ms: number; answer: Answer }> {
    const started = performance.now();
    const response = await fetch(`${this.proxyUrl}/v1/messages`, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
    const text = await response.text();
    const ms = performance.now() - started;
    if (!response.ok) throw new Error(`PTC request: HTTP ${response.status}: ${text.slice(0, 300)}`);
    const answer = answerSchema.parse(JSON.parse(text));
    this.container ??= answer.container?.id;
    return { ms, answer };
  }

  private request(tools: object[], messages: object[]): Record<string, unknown> {
    return { model: claudeModel, max_tokens: 256, tools, messages, ...(this.container ? { container: this.container } : {}) };
  }

  /** The request's time, and the sandbox's work within it. */
  async codeOnly(): Promise<{ ms: number; sandbox: SandboxTime }> {
    await queueScript(this.emulatorUrl, [codeCall("print(1)"), finalTurn]);
    this.tap.take();
    const { ms, answer } = await this.send(this.request([codeTool], question));
    const sandbox = this.tap.take();
    expectFinished(answer, "1\n");
    return { ms, sandbox };
  }

  /** Pauses at the tool call, then times the resume alone (and the sandbox's work within it). */
  async resume(): Promise<{ ms: number; sandbox: SandboxTime }> {
    await queueScript(this.emulatorUrl, [codeCall(toolCode), finalTurn]);
    const paused = (await this.send(this.request([codeTool, lookupTool], question))).answer;
    const call = paused.content.find((block) => block.type === "tool_use");
    if (paused.stop_reason !== "tool_use" || call?.id === undefined) throw new Error(`no pause: ${JSON.stringify(paused).slice(0, 300)}`);
    const results = [{ type: "tool_result", tool_use_id: call.id, content: "v" }];
    const messages = [...question, { role: "assistant", content: paused.content }, { role: "user", content: results }];
    this.tap.take();
    const { ms, answer } = await this.send(this.request([codeTool, lookupTool], messages));
    const sandbox = this.tap.take();
    expectFinished(answer, "v\n");
    return { ms, sandbox };
  }
}

function expectFinished(answer: Answer, stdout: string): void {
  const result = answer.content.find((block) => block.type === "code_execution_tool_result");
  const printed = z.object({ content: z.object({ stdout: z.string() }) }).safeParse(result);
  if (answer.stop_reason !== "end_turn" || printed.data?.content.stdout !== stdout) throw new Error(`unexpected answer: ${JSON.stringify(answer).slice(0, 300)}`);
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

export async function measurePtc(emulatorUrl: string, log: (line: string) => void): Promise<PtcFigures> {
  const runtime = bwrapUnderTest();
  let sandbox: Service | undefined;
  let proxy: Service | undefined;
  let tap: SandboxTap | undefined;
  try {
    sandbox = await startSandbox(runtime, 2);
    tap = startSandboxTap(sandbox.url);
    proxy = await startProxy({ emulatorUrl, name: "proxy (PTC)", env: { SANDBOX_URL: tap.url, SANDBOX_TOKEN: sandboxToken } });
    log(`  sandbox service ${sandbox.url} (bwrap, pid ${sandbox.pid}), proxy ${proxy.url} (pid ${proxy.pid})`);
    const direct = new Client(sandbox.url);
    const session = await direct.create();
    if (session === undefined) throw new Error(`sandbox session: ${direct.firstFailure}`);
    const lane = new PtcLane(proxy.url, emulatorUrl, tap);
    const emulatorTurn: PreparedRequest = await prepareRequest({ emulator: emulatorUrl, proxy: "", forwarder: "" }, "direct", "invoke", true);
    const samples = {
      emulatorTurn: [] as number[],
      sandboxExecution: [] as number[],
      sandboxToolResults: [] as number[],
      codeOnly: [] as number[],
      resume: [] as number[],
      sandboxInResume: [] as number[],
      sandboxInCodeOnly: [] as number[],
      lookupsInResume: [] as number[],
      resumeOwn: [] as number[],
      codeOnlyAbove: [] as number[],
    };

    const iteration = (record: boolean) => async () => {
      // A failed iteration leaves turns queued: each starts from an empty script.
      await resetEmulator(emulatorUrl);
      await queueScript(emulatorUrl, [finalTurn]);
      const turn = (await timeStream(emulatorTurn)).totalMs;
      const execution = await timed(() => direct.execute(session, "print(1)"));
      const pausedInSandbox = await direct.execute(session, toolCode, [{ name: lookupTool.name, description: lookupTool.description }]);
      if (pausedInSandbox.status !== "tool_calls") throw new Error(`sandbox did not pause: ${JSON.stringify(pausedInSandbox)}`);
      const results = pausedInSandbox.calls.map((call) => ({ call_id: call.call_id, content: "v" }));
      const toolResults = await timed(() => direct.toolResults(session, pausedInSandbox.execution_id, results));
      const codeOnly = await lane.codeOnly();
      const resume = await lane.resume();
      if (!record) return;
      samples.emulatorTurn.push(turn);
      samples.sandboxExecution.push(execution);
      samples.sandboxToolResults.push(toolResults);
      samples.codeOnly.push(codeOnly.ms);
      samples.resume.push(resume.ms);
      samples.sandboxInResume.push(resume.sandbox.work);
      samples.sandboxInCodeOnly.push(codeOnly.sandbox.work);
      samples.lookupsInResume.push(resume.sandbox.lookups);
      samples.resumeOwn.push(resume.ms - resume.sandbox.work - turn);
      samples.codeOnlyAbove.push(codeOnly.ms - codeOnly.sandbox.work);
    };
    await bounded(direct, 10, 10_000, iteration(false));
    await bounded(direct, 200, 40_000, iteration(true));
    await direct.deleteAll();
    return {
      emulatorTurn: stats(samples.emulatorTurn),
      sandboxExecution: stats(samples.sandboxExecution),
      sandboxToolResults: stats(samples.sandboxToolResults),
      codeOnly: stats(samples.codeOnly),
      resume: stats(samples.resume),
      sandboxInResume: stats(samples.sandboxInResume),
      sandboxInCodeOnly: stats(samples.sandboxInCodeOnly),
      lookupsInResume: stats(samples.lookupsInResume),
      resumeOwn: stats(samples.resumeOwn),
      codeOnlyAbove: stats(samples.codeOnlyAbove),
      failures: direct.failures,
      firstFailure: direct.firstFailure,
    };
  } catch (error) {
    const tails = [proxy && `proxy stderr (tail):\n${proxy.stderrTail()}`, sandbox && `sandbox stderr (tail):\n${sandbox.stderrTail()}`].filter(Boolean).join("\n");
    throw new Error(`PTC: ${error instanceof Error ? error.message : String(error)}${tails ? `\n${tails}` : ""}`);
  } finally {
    await proxy?.stop();
    await tap?.stop();
    await sandbox?.stop();
    await runtime.cleanUp();
  }
}
