import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { migrations } from "./migrations.ts";

/**
 * Opens (creating it, and its directory, on first start) the SQLite database and brings its schema up
 * to date. `:memory:` gives a private in-memory database (tests).
 */
export function openDatabase(path: string): Database {
  const inMemory = path === ":memory:";
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  // strict: named parameters bind without their `$` prefix, and a missing one is an error.
  const db = new Database(path, { create: true, strict: true });
  // WAL lets readers (the admin API) run while the usage writer writes; NORMAL is durable across
  // process crashes, which is what a gateway needs (a power cut may lose the last instants of usage).
  if (!inMemory) db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  // Another process on the same file (a second gateway, `sqlite3` in a shell) waits instead of failing.
  db.run("PRAGMA busy_timeout = 5000");
  migrate(db);
  return db;
}

function migrate(db: Database): void {
  const apply = db.transaction(() => {
    const version = db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
    if (version > migrations.length) {
      throw new Error(`the database's schema (version ${version}) is newer than this gateway knows (${migrations.length})`);
    }
    for (const [index, sql] of migrations.entries()) {
      if (index < version) continue;
      db.run(sql);
      // PRAGMA takes no parameters; the version is a number we computed.
      db.run(`PRAGMA user_version = ${index + 1}`);
    }
  });
  // IMMEDIATE: two processes opening a new file at once must not both run migration 1.
  apply.immediate();
}

/** An interface as statement parameters: bun:sqlite wants an index signature, which only type aliases get. */
export type Bindings<T> = { [K in keyof T]: T[K] };
