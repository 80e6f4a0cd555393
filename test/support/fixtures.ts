import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * The one place test data is found. `ownFixtures` is the repository's own (`test/fixtures/`): every
 * behaviour a golden test checks has a case there, so any clone runs it. The workspace may also hold
 * captured wire data beside the repository (`../shared/fixtures`); golden tests read those captures too
 * when they are there, and say so when they are not. `SHARED_FIXTURES_DIR` names another folder of
 * captures, and `SHARED_FIXTURES_DIR=none` hides them (to prove what the own fixtures cover alone).
 */
export const ownFixtures = resolve(import.meta.dir, "../fixtures");
export const sharedFixtures = sharedFixturesRoot();

function sharedFixturesRoot(): string | undefined {
  const named = process.env["SHARED_FIXTURES_DIR"];
  if (named === "none") return undefined;
  const dir = named || resolve(import.meta.dir, "../../../shared/fixtures");
  return existsSync(dir) ? dir : undefined;
}

/** A folder of the shared captures, or undefined (with a note naming what is skipped) when there is none. */
export function sharedFixtureDir(folder: string): string | undefined {
  const dir = sharedFixtures && join(sharedFixtures, folder);
  if (dir && existsSync(dir)) return dir;
  console.warn(`note: no shared captures (../shared/fixtures/${folder}); the golden cases over them are skipped, own fixtures still run`);
  return undefined;
}

/** Paths of the shared captures in `folder` whose names end with `suffix`; none when they are absent. */
export function sharedFixtureFiles(folder: string, suffix: string): string[] {
  const dir = sharedFixtureDir(folder);
  return dir ? listFiles(dir, suffix).map((name) => join(dir, name)) : [];
}

/**
 * Paths of the files ending with `suffix` in `folder` of our own fixtures, then of the shared captures
 * when they are there: both have the same layout, so one test runs over both.
 */
export function fixtureFiles(folder: string, suffix: string): string[] {
  const own = join(ownFixtures, folder);
  const ownFiles = existsSync(own) ? listFiles(own, suffix).map((name) => join(own, name)) : [];
  return [...ownFiles, ...sharedFixtureFiles(folder, suffix)];
}

/** Names (not paths) of the files in `dir` ending with `suffix`, sorted. */
export function listFiles(dir: string, suffix: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .sort();
}

export function readJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

export interface CapturedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}
