import { createHash, randomBytes } from "node:crypto";
import type { AdminActor } from "../../gateway/audit/audit-entry.ts";
import type { AdminSession, PendingSignIn, SessionStore } from "./session-store.ts";

export interface AdminSessionsOptions {
  /** ADMIN_SESSION_TTL_S: a session ends this long after sign-in, used or not. */
  ttlMs: number;
  /** ADMIN_SESSION_IDLE_S: and this long after it was last used. */
  idleMs: number;
  now?: () => number;
}

/** An OIDC sign-in must come back from the provider within this. */
const signInTtlMs = 10 * 60_000;
/** A session's last use is written at most this often: idle expiry costs one store write a minute per operator, not one a request. */
const touchEveryMs = 60_000;

/**
 * Admin sessions over a SessionStore. The browser holds a random token (256 bits); the store holds
 * its SHA-256 as the record's id, so neither a Redis dump nor a log of its keys is a way in.
 */
export class AdminSessions {
  readonly #now: () => number;

  constructor(
    private readonly store: SessionStore,
    private readonly options: AdminSessionsOptions,
  ) {
    this.#now = options.now ?? Date.now;
  }

  /** Signs an operator in: the token goes into the session cookie. */
  async start(actor: AdminActor): Promise<{ token: string; session: AdminSession }> {
    const token = newToken();
    const expiresAt = this.#in(this.options.ttlMs);
    const session: AdminSession = { kind: "session", id: digest(token), actor, csrfToken: newToken(), expiresAt, idleExpiresAt: this.#idleDeadline(expiresAt) };
    await this.store.put(session);
    return { token, session };
  }

  /** The live session the cookie's token names, or undefined. */
  async find(token: string | undefined): Promise<AdminSession | undefined> {
    if (!token) return undefined;
    const record = await this.store.get(digest(token));
    const now = this.#now();
    if (record?.kind !== "session" || Date.parse(record.expiresAt) <= now || Date.parse(record.idleExpiresAt) <= now) return undefined;
    const idleExpiresAt = this.#idleDeadline(record.expiresAt);
    if (Date.parse(idleExpiresAt) - Date.parse(record.idleExpiresAt) < touchEveryMs) return record;
    const touched = { ...record, idleExpiresAt };
    await this.store.refresh(touched);
    return touched;
  }

  async end(token: string | undefined): Promise<void> {
    if (token) await this.store.delete(digest(token));
  }

  /** Remembers an OIDC sign-in under way; the token goes into the sign-in cookie. */
  async beginSignIn(pending: Omit<PendingSignIn, "kind" | "id" | "expiresAt">): Promise<string> {
    const token = newToken();
    await this.store.put({ kind: "sign-in", id: digest(token), ...pending, expiresAt: this.#in(signInTtlMs) });
    return token;
  }

  /** The sign-in the cookie's token names, used up: a callback can be completed once. */
  async takeSignIn(token: string | undefined): Promise<PendingSignIn | undefined> {
    if (!token) return undefined;
    const id = digest(token);
    const record = await this.store.get(id);
    if (record === undefined) return undefined;
    await this.store.delete(id);
    return record.kind === "sign-in" && Date.parse(record.expiresAt) > this.#now() ? record : undefined;
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /** ADMIN_SESSION_IDLE_S from now, never past the session's own end. */
  #idleDeadline(expiresAt: string): string {
    return new Date(Math.min(this.#now() + this.options.idleMs, Date.parse(expiresAt))).toISOString();
  }

  #in(ms: number): string {
    return new Date(this.#now() + ms).toISOString();
  }
}

const newToken = () => randomBytes(32).toString("base64url");
const digest = (token: string) => createHash("sha256").update(token).digest("base64url");
