/**
 * The PTC container store: what a paused code call needs to resume, on this replica or another
 * (memory.ts for one process, redis.ts shared by replicas; chosen by REDIS_URL).
 */

export interface PausedExecution {
  executionId: string;
  /** The srvtoolu id of the paused code call. */
  serverToolUseId: string;
  /** The client tool calls it waits for: our toolu_ id, the sandbox's call id, the tool's name. */
  calls: { toolUseId: string; callId: string; name: string }[];
  /** Code calls of the same model turn not yet run, in order. */
  remaining: { serverToolUseId: string; code: string }[];
  /** The model turn also called client tools directly: once the code is done the answer stops at tool_use. */
  directCalls: boolean;
}

export interface ContainerRecord {
  /** `container_…` */
  id: string;
  /** The key that created it (key id, or `operator` / `anonymous`): the sandbox owner; no other key may use it. */
  owner: string;
  sessionId: string;
  /** ISO 8601; the record is gone after it. */
  expiresAt: string;
  paused?: PausedExecution;
}

export interface ContainerStore {
  /** undefined once expired. */
  get(id: string): Promise<ContainerRecord | undefined>;
  /** Saves (creates or replaces) the record until its expiresAt. */
  put(record: ContainerRecord): Promise<void>;
  delete(id: string): Promise<void>;
  /** Live containers of one owner, for PTC_MAX_CONTAINERS_PER_KEY. */
  countLive(owner: string): Promise<number>;
  close(): Promise<void>;
}
