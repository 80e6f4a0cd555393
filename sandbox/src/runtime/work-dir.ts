import { chmod, lchown, lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * Gives the whole work dir to the sandbox's host uid, so a later sandbox (which
 * may get a different uid) can keep writing what an earlier one left.
 * lchown + no descent into symlinks: a symlink planted by sandboxed code must
 * never make us chown something outside the work dir.
 */
export async function giveWorkDirTo(dir: string, uid: number, gid: number): Promise<void> {
  const top = await lstat(dir);
  if (!top.isDirectory()) throw new Error(`work dir is not a directory: ${dir}`);
  await chownTree(dir, uid, gid);
  // 0700: other sandbox uids cannot even list it.
  await chmod(dir, 0o700);
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await lchown(path, uid, gid);
  const entries = await readdir(path, { withFileTypes: true });
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid, gid);
    else await lchown(child, uid, gid);
  }
}
