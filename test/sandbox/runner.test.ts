import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeFrame } from "../../sandbox/src/protocol/frames.ts";
import { RunnerProcess } from "./runner-process.ts";

/** Python source from lines, so the indentation in tests stays readable. */
const py = (...lines: string[]): string => lines.join("\n");

describe("runner", () => {
  let runner: RunnerProcess;
  beforeAll(() => {
    runner = new RunnerProcess();
  });
  afterAll(async () => {
    await runner.close();
  });

  test("announces itself, unasked, before any message is sent to it", async () => {
    expect(await runner.announcement()).toEqual({ type: "ready" });
  });

  test("a trivial execution returns its stdout", async () => {
    const id = runner.execute("print('hello')\nprint(6 * 7)");
    const done = await runner.expectCompleted();
    expect(done).toEqual({ type: "completed", execution_id: id, stdout: "hello\n42\n", stderr: "", return_code: 0 });
  });

  test("top-level await works", async () => {
    const done = await runner.run(py("import asyncio", "await asyncio.sleep(0.01)", "print('awaited')"));
    expect(done).toMatchObject({ type: "completed", stdout: "awaited\n", return_code: 0 });
  });

  test("stderr and subprocess output are captured", async () => {
    const done = await runner.run(py(
      "import subprocess, sys",
      "print('to stderr', file=sys.stderr)",
      "subprocess.run(['sh', '-c', 'echo from-child; echo child-err >&2'])",
    ));
    expect(done).toMatchObject({ type: "completed", return_code: 0 });
    expect(done.stdout).toContain("from-child");
    expect(done.stderr).toContain("to stderr");
    expect(done.stderr).toContain("child-err");
  });

  test("an escaping exception gives return_code 1 and the traceback on stderr", async () => {
    const done = await runner.run(py("print('before')", "def fail():", "    raise ValueError('bad value')", "fail()"));
    expect(done).toMatchObject({ type: "completed", return_code: 1, stdout: "before\n" });
    expect(done.stderr).toContain("Traceback (most recent call last):");
    expect(done.stderr).toContain("ValueError: bad value");
    expect(done.stderr).toContain("raise ValueError('bad value')"); // Source lines are quoted.
  });

  test("a syntax error gives return_code 1", async () => {
    const done = await runner.run("def broken(:\n  pass");
    expect(done).toMatchObject({ type: "completed", return_code: 1 });
    expect(done.stderr).toContain("SyntaxError");
  });

  test("sys.exit ends the execution with its code", async () => {
    expect(await runner.run("import sys\nsys.exit(0)")).toMatchObject({ type: "completed", return_code: 0 });
    expect(await runner.run("import sys\nsys.exit(4)")).toMatchObject({ type: "completed", return_code: 4 });
  });

  test("a single tool call round trip", async () => {
    const id = runner.execute(
      py("weather = await get_weather(city='Paris')", "print('got', weather)"),
      { tools: [{ name: "get_weather", description: "Current weather" }] },
    );
    const calls = await runner.expectToolCalls();
    expect(calls.execution_id).toBe(id);
    expect(calls.calls).toHaveLength(1);
    const [call] = calls.calls;
    expect(call).toMatchObject({ name: "get_weather", input: { city: "Paris" } });
    runner.send({ type: "tool_results", execution_id: id, results: [{ call_id: call!.call_id, content: "sunny" }] });
    expect(await runner.expectCompleted()).toMatchObject({ stdout: "got sunny\n", return_code: 0 });
  });

  test("gathered calls come in one message; a later call in a second one", async () => {
    const id = runner.execute(
      py(
        "import asyncio",
        "temps = await asyncio.gather(*(get_weather(city=c) for c in ['Paris', 'Oslo', 'Rome']))",
        "print(temps)",
        "summary = await summarize(text=','.join(temps))",
        "print(summary)",
      ),
      { tools: [{ name: "get_weather" }, { name: "summarize" }] },
    );
    const first = await runner.expectToolCalls();
    expect(first.calls.map((call) => call.input)).toEqual([{ city: "Paris" }, { city: "Oslo" }, { city: "Rome" }]);
    expect(new Set(first.calls.map((call) => call.call_id)).size).toBe(3);
    // Answer out of order: results are matched by call_id, not position.
    runner.send({
      type: "tool_results",
      execution_id: id,
      results: first.calls.map((call) => ({ call_id: call.call_id, content: `${String(call.input.city)}:20` })).reverse(),
    });
    const second = await runner.expectToolCalls();
    expect(second.calls).toHaveLength(1);
    expect(second.calls[0]).toMatchObject({ name: "summarize", input: { text: "Paris:20,Oslo:20,Rome:20" } });
    runner.send({ type: "tool_results", execution_id: id, results: [{ call_id: second.calls[0]!.call_id, content: "mild" }] });
    const done = await runner.expectCompleted();
    expect(done.stdout).toBe("['Paris:20', 'Oslo:20', 'Rome:20']\nmild\n");
  });

  test("past max_tool_calls, gathered calls go in more than one message", async () => {
    const id = runner.execute(py("import asyncio", "r = await asyncio.gather(*(t(n=i) for i in range(300)))", "print(sum(r))"), { tools: [{ name: "t" }] });
    const sizes: number[] = [];
    for (;;) {
      const message = await runner.receive();
      if (message.type !== "tool_calls") {
        expect(message).toMatchObject({ type: "completed", stdout: `${(299 * 300) / 2}\n` });
        break;
      }
      sizes.push(message.calls.length);
      runner.send({ type: "tool_results", execution_id: id, results: message.calls.map((c) => ({ call_id: c.call_id, content: c.input.n })) });
    }
    expect(sizes).toEqual([256, 44]);
  });

  test("calls from concurrent tasks are batched too", async () => {
    const id = runner.execute(
      py(
        "import asyncio",
        "async def fetch(n):",
        "    await asyncio.sleep(0)",
        "    return await lookup(n=n)",
        "tasks = [asyncio.create_task(fetch(n)) for n in range(2)]",
        "print(await asyncio.gather(*tasks))",
      ),
      { tools: [{ name: "lookup" }] },
    );
    const calls = await runner.expectToolCalls();
    expect(calls.calls).toHaveLength(2);
    runner.send({
      type: "tool_results",
      execution_id: id,
      results: calls.calls.map((call) => ({ call_id: call.call_id, content: { n: call.input.n } })),
    });
    expect((await runner.expectCompleted()).stdout).toBe("[{'n': 0}, {'n': 1}]\n");
  });

  test("a call made after a timer goes out in its own message", async () => {
    const id = runner.execute(
      py(
        "import asyncio",
        "async def later():",
        "    await asyncio.sleep(0.02)",
        "    return await lookup(n=2)",
        "print(await asyncio.gather(lookup(n=1), later()))",
      ),
      { tools: [{ name: "lookup" }] },
    );
    for (const expected of [1, 2]) {
      const calls = await runner.expectToolCalls();
      expect(calls.calls.map((call) => call.input)).toEqual([{ n: expected }]);
      runner.send({ type: "tool_results", execution_id: id, results: [{ call_id: calls.calls[0]!.call_id, content: expected * 10 }] });
    }
    expect((await runner.expectCompleted()).stdout).toBe("[10, 20]\n");
  });

  test("a task spinning on sleep(0) does not keep its call from being sent", async () => {
    const id = runner.execute(
      py(
        "import asyncio",
        "task = asyncio.create_task(lookup(n=1))",
        "while not task.done():",
        "    await asyncio.sleep(0)",
        "print(task.result())",
      ),
      { tools: [{ name: "lookup" }] },
    );
    const calls = await runner.expectToolCalls();
    runner.send({ type: "tool_results", execution_id: id, results: [{ call_id: calls.calls[0]!.call_id, content: "done" }] });
    expect((await runner.expectCompleted()).stdout).toBe("done\n");
  });

  test("a hyphenated tool name is callable with underscores", async () => {
    const id = runner.execute("print(await get_user_info(id=7))", { tools: [{ name: "get-user-info" }] });
    const calls = await runner.expectToolCalls();
    expect(calls.calls[0]).toMatchObject({ name: "get-user-info", input: { id: 7 } });
    runner.send({ type: "tool_results", execution_id: id, results: [{ call_id: calls.calls[0]!.call_id, content: "ann" }] });
    expect((await runner.expectCompleted()).stdout).toBe("ann\n");
  });

  test("an is_error result raises ToolError, which the code can catch", async () => {
    const id = runner.execute(
      py(
        "try:",
        "    await get_weather(city='Atlantis')",
        "except ToolError as error:",
        "    print('caught:', error)",
        "await get_weather(city='Atlantis')",
      ),
      { tools: [{ name: "get_weather" }] },
    );
    for (let round = 0; round < 2; round++) {
      const calls = await runner.expectToolCalls();
      runner.send({
        type: "tool_results",
        execution_id: id,
        results: [{ call_id: calls.calls[0]!.call_id, content: "unknown city", is_error: true }],
      });
    }
    const done = await runner.expectCompleted();
    expect(done.stdout).toBe("caught: unknown city\n");
    expect(done.return_code).toBe(1); // The uncaught second error escapes.
    expect(done.stderr).toContain("ToolError: unknown city");
  });

  test("each execution starts with fresh interpreter state", async () => {
    await runner.run(py("counter = 1", "import json", "json.marker = 'leaked'"));
    const done = await runner.run(py(
      "try:",
      "    counter",
      "    print('True')",
      "except NameError:",
      "    print('False')",
      "import json",
      "print(hasattr(json, 'marker'))",
    ));
    expect(done).toMatchObject({ stdout: "False\nFalse\n", return_code: 0 });
  });

  test("files in the working directory persist across executions", async () => {
    await runner.run("open('notes.txt', 'w').write('kept')");
    const done = await runner.run("import os\nprint(os.getcwd())\nprint(open('notes.txt').read())");
    expect(done.stdout).toBe(`${runner.workDir}\nkept\n`);
  });

  test("a module written in one execution is importable in the next, and runner internals are not", async () => {
    await runner.run("open('helper_mod.py', 'w').write('def double(x):\\n    return 2 * x\\n')");
    const done = await runner.run(py(
      "import helper_mod",
      "print(helper_mod.double(21))",
      "try:",
      "    import framing",
      "    print('runner module visible')",
      "except ImportError:",
      "    print('hidden')",
    ));
    expect(done).toMatchObject({ type: "completed", stdout: "42\nhidden\n" });
  });

  test("a background process left running does not hold the execution open", async () => {
    const started = performance.now();
    const done = await runner.run("import subprocess\nsubprocess.Popen(['sleep', '30'])\nprint('left it')");
    expect(done).toMatchObject({ type: "completed", stdout: "left it\n" });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  test("the code's stdin is empty, not the protocol stream", async () => {
    const done = await runner.run("import sys\nprint(repr(sys.stdin.read()))");
    expect(done).toMatchObject({ type: "completed", stdout: "''\n" });
  });

  test("output above the cap fails the execution with output_too_large", async () => {
    const id = runner.execute("while True:\n    print('x' * 1000)", { maxOutputBytes: 10_000 });
    const failed = await runner.expectFailed();
    expect(failed).toMatchObject({ execution_id: id, error_code: "output_too_large" });
    expect(failed.stdout.length).toBeLessThanOrEqual(10_000);
    expect(failed.stdout.length).toBeGreaterThan(0);
  });

  test("os._exit in the code reports unavailable and the runner serves the next execution", async () => {
    const failed = await runner.run("print('partial', flush=True)\nimport os\nos._exit(3)");
    expect(failed).toMatchObject({ type: "failed", error_code: "unavailable", stdout: "partial\n" });
    expect(await runner.run("print('still here')")).toMatchObject({ type: "completed", stdout: "still here\n" });
  });

  test("the code killing itself reports unavailable, even while awaiting a tool", async () => {
    const killed = await runner.run("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)");
    expect(killed).toMatchObject({ type: "failed", error_code: "unavailable" });

    // Dies while the service holds its tool call; the late result must be ignored.
    const id = runner.execute(
      py(
        "import asyncio, os",
        "async def die():",
        "    await asyncio.sleep(0.05)",
        "    os._exit(9)",
        "await asyncio.gather(slow(), die())",
      ),
      { tools: [{ name: "slow" }] },
    );
    const calls = await runner.expectToolCalls();
    // The process blocks reading results, so die() cannot run: answer, then it dies.
    runner.send({ type: "tool_results", execution_id: id, results: [{ call_id: calls.calls[0]!.call_id, content: "ok" }] });
    expect(await runner.expectFailed()).toMatchObject({ execution_id: id, error_code: "unavailable" });
    runner.send({ type: "tool_results", execution_id: id, results: [{ call_id: "stale", content: "late" }] });
    expect(await runner.run("print('alive')")).toMatchObject({ type: "completed", stdout: "alive\n" });
  });

  test("a 5 MB tool result and a 5 MB tool input cross intact", async () => {
    const big = "z".repeat(5 * 1024 * 1024);
    const id = runner.execute(
      py("data = await fetch()", "echo = await store(blob=data + '!')", "print(len(data), echo)"),
      { tools: [{ name: "fetch" }, { name: "store" }] },
    );
    const fetch = await runner.expectToolCalls();
    runner.send({ type: "tool_results", execution_id: id, results: [{ call_id: fetch.calls[0]!.call_id, content: big }] });
    const store = await runner.expectToolCalls();
    expect(store.calls[0]!.input.blob).toBe(`${big}!`);
    runner.send({ type: "tool_results", execution_id: id, results: [{ call_id: store.calls[0]!.call_id, content: "stored" }] });
    expect((await runner.expectCompleted()).stdout).toBe(`${big.length} stored\n`);
  });

  test("an execute frame written one byte at a time is reassembled", async () => {
    const frame = encodeFrame({ type: "execute", execution_id: "bytewise", code: "print('bytes')", tools: [], max_output_bytes: 1000 });
    for (let offset = 0; offset < frame.byteLength; offset++) {
      runner.sendBytes(frame.subarray(offset, offset + 1));
      await Bun.sleep(0);
    }
    expect(await runner.expectCompleted()).toMatchObject({ execution_id: "bytewise", stdout: "bytes\n" });
  });
});

describe("runner protocol errors", () => {
  test("an oversized frame header fails with protocol_error and the runner exits", async () => {
    const runner = new RunnerProcess();
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, 0xffff_ffff, false);
    runner.sendBytes(header);
    expect(await runner.expectFailed()).toMatchObject({ execution_id: null, error_code: "protocol_error" });
    expect(await runner.exitCode).toBe(2);
    await runner.close();
  });

  test("an unknown message type is answered with invalid_message and the runner carries on", async () => {
    const runner = new RunnerProcess();
    runner.sendBytes(encodeFrame({ type: "bogus", execution_id: "x" }));
    expect(await runner.expectFailed()).toMatchObject({ execution_id: "x", error_code: "invalid_message" });
    expect(await runner.run("print('ok')")).toMatchObject({ type: "completed", stdout: "ok\n" });
    await runner.close();
  });

  test("the runner exits cleanly when its stdin closes", async () => {
    const runner = new RunnerProcess();
    expect(await runner.run("print(1)")).toMatchObject({ type: "completed" });
    await runner.close();
    expect(await runner.exitCode).toBe(0);
  });
});
