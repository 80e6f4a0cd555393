import { readdirSync, readFileSync, writeFileSync } from "node:fs";

/**
 * What the bench reads of Linux's /proc: a process's CPU time and memory, the whole machine's busy
 * time, a child's pid. Every figure of a run comes from here, so every reading uses the same units.
 */

/** Linux's USER_HZ, the unit of /proc/stat and /proc/<pid>/stat times: 100 on every mainstream architecture. */
const clockTicksPerSecond = 100;

/** CPU time (user + system, all threads) the process has used so far, in seconds. */
export async function readCpuSeconds(pid: number): Promise<number> {
  const stat = await Bun.file(`/proc/${pid}/stat`).text();
  // Fields after the parenthesised command name, which may itself contain spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

/** Busy CPU seconds of the whole machine since boot: /proc/stat's first line, idle and iowait left out. */
export async function machineBusySeconds(): Promise<number> {
  const line = (await Bun.file("/proc/stat").text()).split("\n", 1)[0] ?? "";
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / clockTicksPerSecond;
}

export interface MemoryReading {
  /** Resident set size now, in bytes. */
  rss: number;
  /** Peak resident set size since start or since the last `resetPeakRss`, in bytes. */
  peakRss: number;
}

export async function readMemory(pid: number): Promise<MemoryReading> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  return { rss: statusKb(status, "VmRSS") * 1024, peakRss: statusKb(status, "VmHWM") * 1024 };
}

function statusKb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (!match?.[1]) throw new Error(`no ${field} in /proc status`);
  return Number(match[1]);
}

/**
 * Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0), so a phase's peak is its
 * own and not left over from an earlier phase. Returns false where the kernel does not allow it.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** A child of this process whose command line passes `match` (the test helpers do not expose their pids). */
export function childPid(match: (args: string[]) => boolean): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (parent !== process.pid) continue;
      if (match(readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0"))) return Number(entry);
    } catch {
      // The process ended while /proc was read.
    }
  }
  return undefined;
}
