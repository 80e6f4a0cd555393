import { writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { processTable } from "../../sandbox/src/runtime/host-processes.ts";

/**
 * What the bench reads of Linux's /proc: a process's CPU time, memory and command line, the whole
 * machine's busy time, a child's pid. Every figure of a run comes from here, so every reading uses
 * the same units. The process table itself is the sandbox service's (`processTable`).
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

/** CPU time (user + system, all threads) this process has used so far, in seconds. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
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

/** Proportional set size (shared pages split among their users), in bytes; 0 once the process is gone. */
export async function pss(pid: number): Promise<number> {
  try {
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, "utf8");
    return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** The process's arguments, its program first; none once the process is gone. */
export async function commandLine(pid: number): Promise<string[]> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
  } catch {
    return [];
  }
}

/** A child of this process whose command line passes `match` (the test helpers do not expose their pids). */
export async function childPid(match: (args: string[]) => boolean): Promise<number | undefined> {
  for (const child of (await processTable()).filter((p) => p.ppid === process.pid)) {
    if (match(await commandLine(child.pid))) return child.pid;
  }
  return undefined;
}
