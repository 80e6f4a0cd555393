import { createHash, randomBytes } from "node:crypto";
import type { AdminActor } from "../../gateway/audit/audit-entry.ts";
import type { AdminSession, PendingSignIn, SessionStore } from "./session-store.ts";

export interface AdminSessionsOptions {
  /** ADMIN_SESSION_TTL_S: a session ends this long after sign-in, used or not. */
  ttlMs: number;
  now?: () => number;
}

/** An OIDC sign-in must come back from the provider within this. */
const signInTtlMs = 10 * 60_000;

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
    const session: AdminSession = { kind: "session", id: digest(token), actor, csrfToken: newToken(), expiresAt: this.#in(this.options.ttlMs) };
    await this.store.put(session);
    return { token, session };
  }

  /** The live session the cookie's token names, or undefined. */
  async find(token: string | undefined): Promise<AdminSession | undefined> {
    if (!token) return undefined;
    const record = await this.store.get(digest(token));
    return record?.kind === "session" && Date.parse(record.expiresAt) > this.#now() ? record : undefined;
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

  #in(ms: number): string {
    return new Date(this.#now() + ms).toISOString();
  }
}

const newToken = () => randomBytes(32).toString("base64url");
const digest = (token: string) => createHash("sha256").update(token).digest("base64url");
