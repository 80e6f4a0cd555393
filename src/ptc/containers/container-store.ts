import { z } from "zod";

/**
 * The PTC container store: what a paused code call needs to resume, on this replica or another
 * (memory.ts for one process, redis.ts shared by replicas; chosen by REDIS_URL). The records are
 * zod schemas because the Redis store reads them back from JSON another replica wrote.
 */

export const pausedExecution = z.object({
  executionId: z.string(),
  /** The srvtoolu id of the paused code call. */
  serverToolUseId: z.string(),
  /** The client tool calls it waits for: our toolu_ id, the sandbox's call id, the tool's name. */
  calls: z.array(z.object({ toolUseId: z.string(), callId: z.string(), name: z.string() })),
  /** Code calls of the same model turn not yet run, in order. */
  remaining: z.array(z.object({ serverToolUseId: z.string(), code: z.string() })),
  /** The model turn also called client tools directly: once the code is done the answer stops at tool_use. */
  directCalls: z.boolean(),
});
export type PausedExecution = z.infer<typeof pausedExecution>;

export const containerRecord = z.object({
  /** `container_…` */
  id: z.string(),
  /** The key that created it (key id, or `operator` / `anonymous`): the sandbox owner; no other key may use it. */
  owner: z.string(),
  sessionId: z.string(),
  /** ISO 8601; the record is gone after it. */
  expiresAt: z.iso.datetime({ offset: true }),
  /** ISO 8601, for the portal's age column; absent on records written before it was kept. */
  createdAt: z.iso.datetime({ offset: true }).optional(),
  paused: pausedExecution.optional(),
});
export type ContainerRecord = z.infer<typeof containerRecord>;

export interface ContainerStore {
  /** undefined once expired. */
  get(id: string): Promise<ContainerRecord | undefined>;
  /** Saves (creates or replaces) the record until its expiresAt. */
  put(record: ContainerRecord): Promise<void>;
  delete(id: string): Promise<void>;
  /** Live containers of one owner, for PTC_MAX_CONTAINERS_PER_KEY. */
  countLive(owner: string): Promise<number>;
  /** Every live container of every owner, soonest expiry first: the portal's containers page. */
  listLive(): Promise<ContainerRecord[]>;
  close(): Promise<void>;
}
