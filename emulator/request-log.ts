/** Every data-plane request the emulator received, oldest first, for tests to inspect. */

export type Operation = "converse" | "converse-stream" | "invoke" | "invoke-with-response-stream" | "count-tokens";

export interface RecordedRequest {
  operation: Operation;
  modelId: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
}

export class RequestLog {
  private entries: RecordedRequest[] = [];

  /** `limit` bounds memory under load (benchmarks): past it the oldest entries are dropped; 0 records nothing. */
  constructor(private readonly limit: number) {}

  record(entry: RecordedRequest): void {
    if (this.limit === 0) return;
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.shift();
  }

  all(): readonly RecordedRequest[] {
    return this.entries;
  }

  clear(): void {
    this.entries = [];
  }
}
