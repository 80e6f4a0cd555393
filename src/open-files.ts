import { readFileSync } from "node:fs";
import type { Config } from "./config.ts";
import type { Logger } from "../lib/log.ts";

/**
 * Every client connection, upstream connection and file holds a descriptor. Bun raises its own soft
 * RLIMIT_NOFILE to the hard limit when it starts (capped at 2^20, as Node does), so there is nothing
 * left to raise here: this says what the limit is, and warns when the configured connection caps
 * could reach it (the fix is the hard limit: `ulimit -Hn`, Docker's `--ulimit nofile=`, systemd's
 * `LimitNOFILE=`).
 */

/** Descriptors beyond the connections: the store, Redis, logs, the runtime's own. */
const reserve = 1_024;

export function checkOpenFilesLimit(config: Config, log: Logger): void {
  const limit = openFilesLimit();
  if (limit === undefined) {
    log.debug("open files limit unknown (no /proc/self/limits)");
    return;
  }
  const needed = config.MAX_CONNECTIONS + config.UPSTREAM_MAX_CONNECTIONS + reserve;
  if (limit.soft < needed) log.warn("the open files limit is below what the connection caps may use", { ...limit, needed });
  else log.info("open files limit", limit);
}

function openFilesLimit(): { soft: number; hard: number | "unlimited" } | undefined {
  let text: string;
  try {
    text = readFileSync("/proc/self/limits", "utf8");
  } catch {
    return undefined;
  }
  const [soft, hard] = (/^Max open files\s+(\S+)\s+(\S+)/m.exec(text) ?? []).slice(1);
  if (soft === undefined || hard === undefined) return undefined;
  return { soft: Number(soft), hard: hard === "unlimited" ? hard : Number(hard) };
}
