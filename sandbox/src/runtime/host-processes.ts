/**
 * Finds and kills host processes by real uid by reading /proc. Because each
 * sandbox has a private uid from a dedicated range, "every process of uid U"
 * is exactly "everything sandbox U started", wherever it is in its pid namespace.
 */
import { readdir, readFile } from "node:fs/promises";

/** A live process of the host, as /proc/<pid>/status describes it. */
export interface HostProcess {
  pid: number;
  ppid: number;
  /** Real uid. */
  uid: number;
  /** Resident set size, in bytes. */
  rss: number;
  /** The kernel's command name, at most 15 characters. */
  name: string;
}

/** Every live process (zombies, already dead and only unreaped, are left out). */
export async function processTable(): Promise<HostProcess[]> {
  const found: HostProcess[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, "utf8").catch(() => undefined); // exited while we looked
    if (status === undefined || /^State:\s+[ZX]/m.test(status)) continue;
    const field = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
    found.push({ pid: Number(entry), ppid: field("PPid"), uid: field("Uid"), rss: field("VmRSS") * 1024, name: /^Name:\s+(.*)$/m.exec(status)?.[1] ?? "" });
  }
  return found;
}

export async function processesOwnedBy(isOwned: (uid: number) => boolean): Promise<HostProcess[]> {
  return (await processTable()).filter((p) => isOwned(p.uid));
}

export async function pidsOwnedBy(isOwned: (uid: number) => boolean): Promise<number[]> {
  return (await processesOwnedBy(isOwned)).map((p) => p.pid);
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
