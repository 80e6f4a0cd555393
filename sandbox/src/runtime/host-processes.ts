/**
 * Finds and kills host processes by real uid by reading /proc. Because each
 * sandbox has a private uid from a dedicated range, "every process of uid U"
 * is exactly "everything sandbox U started", wherever it is in its pid namespace.
 */
import { readdir, readFile } from "node:fs/promises";

export async function processesOwnedBy(isOwned: (uid: number) => boolean): Promise<Array<{ pid: number; uid: number }>> {
  const found: Array<{ pid: number; uid: number }> = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const uid = await realUidOf(Number(name));
    if (uid !== null && isOwned(uid)) found.push({ pid: Number(name), uid });
  }
  return found;
}

export async function pidsOwnedBy(isOwned: (uid: number) => boolean): Promise<number[]> {
  return (await processesOwnedBy(isOwned)).map((p) => p.pid);
}

/** Real uid of a live process; null for gone or zombie (already dead, just unreaped) ones. */
async function realUidOf(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    if (/^State:\s+[ZX]/m.test(status)) return null;
    const match = /^Uid:\s+(\d+)/m.exec(status);
    return match?.[1] === undefined ? null : Number(match[1]);
  } catch {
    return null; // exited while we looked
  }
}

/**
 * SIGKILLs every live process of the matching uids and waits until none is
 * left (a killed process stays visible for a moment while it exits; a fork
 * bomb may fork between our scan and our kill, hence the repeat).
 * Returns how many distinct processes were killed.
 */
export async function killAllOwnedBy(isOwned: (uid: number) => boolean, timeoutMs = 2000): Promise<number> {
  const killed = new Set<number>();
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const pids = await pidsOwnedBy(isOwned);
    if (pids.length === 0) return killed.size;
    if (performance.now() > deadline) throw new Error(`processes survived SIGKILL: ${pids.join(", ")}`);
    for (const pid of pids) {
      killed.add(pid);
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await Bun.sleep(10);
  }
}
