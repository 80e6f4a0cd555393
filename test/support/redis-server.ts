import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loopback, onFreePort, type ServiceProcess, startServiceProcess } from "./service-process.ts";

/**
 * A real `redis-server` for tests, on a free loopback port, with persistence off so it leaves nothing
 * on disk. It can be stopped and started again on the same port, as an outage test needs (its data
 * does not survive). A missing binary fails the test with how to install it: Redis tests are never skipped.
 */

const startupTimeoutMs = 10_000;

export interface RedisServer {
  /** redis://, or rediss:// when it speaks TLS only. */
  url: string;
  /** With TLS: the self-signed certificate clients must trust (e.g. through NODE_EXTRA_CA_CERTS). */
  certificateFile?: string;
  port: number;
  /** Stops the process (an outage, or for good); `start()` brings it back, empty, on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** `tls`: TLS only (as ElastiCache with encryption in transit), on a certificate made for 127.0.0.1. */
export async function startRedisServer(options: { tls?: boolean } = {}): Promise<RedisServer> {
  const binary = Bun.which("redis-server");
  if (!binary) throw new Error("redis-server is not on PATH; the Redis tests need a real one: apt-get install redis-server (or brew install redis)");
  const tls = options.tls ? selfSignedCertificate() : undefined;
  const listen = (port: number) =>
    tls ? ["--port", "0", "--tls-port", String(port), "--tls-cert-file", tls.certificateFile, "--tls-key-file", tls.keyFile, "--tls-auth-clients", "no"] : ["--port", String(port)];
  const launch = (port: number) =>
    startServiceProcess({
      name: `redis-server on port ${port}`,
      command: [binary, ...listen(port), "--bind", loopback, "--save", "", "--appendonly", "no"],
      ready: () => answersPing(port, tls && readFileSync(tls.certificateFile, "utf8")),
      startupTimeoutMs,
    });
  let port = 0;
  let service: ServiceProcess | undefined = await onFreePort((candidate) => {
    port = candidate;
    return launch(port);
  });
  return {
    url: `${tls ? "rediss" : "redis"}://${loopback}:${port}`,
    ...(tls && { certificateFile: tls.certificateFile }),
    port,
    async stop() {
      await service?.stop();
      service = undefined;
    },
    async start() {
      service ??= await launch(port);
    },
  };
}

function selfSignedCertificate(): { certificateFile: string; keyFile: string } {
  if (!Bun.which("openssl")) throw new Error("openssl is not on PATH; the Redis TLS test makes its certificate with it: apt-get install openssl");
  const dir = mkdtempSync(join(tmpdir(), "abp-redis-tls-"));
  const files = { certificateFile: join(dir, "cert.pem"), keyFile: join(dir, "key.pem") };
  const made = Bun.spawnSync(
    ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", `/CN=${loopback}`, "-addext", `subjectAltName=IP:${loopback}`, "-keyout", files.keyFile, "-out", files.certificateFile],
    { stderr: "pipe" },
  );
  if (made.exitCode !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr.toString()}`);
  return files;
}

/** Sends an inline PING and waits for `+PONG`, so nothing but a ready Redis passes (over TLS, trusting `ca`, when given). */
async function answersPing(port: number, ca?: string): Promise<boolean> {
  const { promise, resolve } = Promise.withResolvers<boolean>();
  let reply = "";
  try {
    const socket = await Bun.connect({
      hostname: loopback,
      port,
      ...(ca && { tls: { ca } }),
      socket: {
        data(socket, bytes) {
          reply += new TextDecoder().decode(bytes);
          if (reply.includes("\r\n")) {
            resolve(reply.startsWith("+PONG"));
            socket.end();
          }
        },
        // Over TLS, what is written before the handshake ends is lost.
        handshake: (socket, authorized) => (authorized ? socket.write("PING\r\n") : resolve(false)),
        close: () => resolve(false),
        error: () => resolve(false),
      },
    });
    if (!ca) socket.write("PING\r\n");
    const timer = setTimeout(() => {
      resolve(false);
      socket.end();
    }, 1_000);
    const answered = await promise;
    clearTimeout(timer);
    return answered;
  } catch {
    return false;
  }
}
