import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * Golden tests read the captured wire data in `../shared/fixtures` (beside the repository) when
 * it exists, as on CI; where it does not they say so and skip only those cases.
 */
export const sharedFixtures = resolve(import.meta.dir, "../../../shared/fixtures");
export const ownFixtures = resolve(import.meta.dir, "../fixtures");

export function sharedFixtureFiles(folder: string, suffix: string): string[] {
  const dir = join(sharedFixtures, folder);
  if (!existsSync(dir)) {
    console.warn(`note: ${dir} is absent; golden tests over shared fixtures in ${folder}/ are skipped`);
    return [];
  }
  return readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .map((name) => join(dir, name));
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
