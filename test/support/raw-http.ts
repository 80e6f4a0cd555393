import { connect, type Socket } from "node:net";

/**
 * HTTP/1.1 over a bare TCP socket, for what `fetch` will not send or will not show: request targets
 * as written (fetch normalises paths), pipelined requests, bodies that stall, connections that idle.
 */

export interface RawExchange {
  /** Everything the server sent. */
  text: string;
  /** Whether the server closed the connection (false: we gave up waiting and closed it). */
  closedByServer: boolean;
  elapsedMs: number;
}

/** The status codes of the responses in `text`, in order (a response follows the previous body directly, not on a new line). */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

/** Opens a connection to `url`'s host and port, writes `payload`, and collects the answer until the server closes or `waitMs` passes. */
export function exchange(url: string, payload: string, waitMs: number): Promise<RawExchange> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = open(url);
    let text = "";
    const finish = (closedByServer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closedByServer, elapsedMs: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on("connect", () => socket.write(payload));
    socket.on("data", (chunk) => (text += chunk.toString("latin1")));
    socket.on("close", () => finish(true));
    socket.on("error", () => undefined);
  });
}

/** A GET with `target` written exactly as given. */
export function rawGet(url: string, target: string, headers: Record<string, string> = {}, waitMs = 5_000): Promise<RawExchange> {
  return exchange(url, `GET ${target} HTTP/1.1\r\nHost: localhost${headerLines(headers)}\r\nConnection: close\r\n\r\n`, waitMs);
}

/** A request's bytes: a JSON POST, with `content-length` naming the whole body. */
export function jsonPost(target: string, body: string, headers: Record<string, string> = {}): string {
  return `POST ${target} HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json${headerLines(headers)}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** A connection the test drives itself; `closed` resolves with the time (ms since opening) the server closed it. */
export function openConnection(url: string): { socket: Socket; opened: Promise<void>; closed: Promise<number>; received: () => string } {
  const started = performance.now();
  const socket = open(url);
  let text = "";
  socket.on("data", (chunk) => (text += chunk.toString("latin1")));
  socket.on("error", () => undefined);
  return {
    socket,
    opened: new Promise((resolve) => socket.once("connect", () => resolve())),
    closed: new Promise((resolve) => socket.once("close", () => resolve(performance.now() - started))),
    received: () => text,
  };
}

function open(url: string): Socket {
  const { hostname, port } = new URL(url);
  return connect(Number(port), hostname);
}

export function headerLines(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([name, value]) => `\r\n${name}: ${value}`)
    .join("");
}
