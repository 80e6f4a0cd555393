import type { Server } from "bun";

/**
 * MAX_CONNECTIONS on Bun, which neither counts nor caps the connections of its HTTP server and shows
 * a request only its own. What it does offer: how many requests are in flight (each holds one
 * connection), the client address and port of a request (one per connection), and a way to close
 * every connection that has no request in flight. So the gate
 * - refuses a request at once when more than `max` are in flight (the caller answers 529 with
 *   `connection: close`, so the refused connection goes too);
 * - remembers the connections requests came on for as long as Bun may keep one idle, and when more
 *   than `max` are remembered, closes the idle ones at once instead of leaving them to the idle timeout:
 *   a crowd of connections that ask one cheap question and go silent cannot hold the descriptors.
 * Connections that never send a request are invisible here; Bun closes those after about 10 s.
 */
export class ConnectionGate {
  /** Connections seen in this window and the one before, so nothing younger than one window is forgotten. */
  private recent = new Set<string>();
  private older = new Set<string>();
  private windowStartedAt = performance.now();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Counts the request's connection; false when the request must be refused. */
  admit(server: Server<undefined>, request: Request): boolean {
    const client = server.requestIP(request);
    if (client) this.remember(`${client.address}:${client.port}`);
    if (this.recent.size + this.older.size > this.max) this.shedIdle(server);
    return server.pendingRequests <= this.max;
  }

  private remember(connection: string): void {
    const now = performance.now();
    if (now - this.windowStartedAt > this.windowMs) {
      this.older = this.recent;
      this.recent = new Set();
      this.windowStartedAt = now;
    }
    this.older.delete(connection);
    this.recent.add(connection);
  }

  /** The connections with a request in flight stay open; they are remembered again at their next request. */
  private shedIdle(server: Server<undefined>): void {
    server.closeIdleConnections();
    this.recent.clear();
    this.older.clear();
  }
}
