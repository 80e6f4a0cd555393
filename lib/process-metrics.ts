import { Counter, Gauge, type Registry } from "prom-client";

/**
 * The process's CPU time and resident memory under Prometheus's standard names, read only when
 * scraped. Not prom-client's collectDefaultMetrics: with its event-loop-delay monitor and GC observer
 * the proxy spent 1.09-1.12× the CPU per request of METRICS=off under load, without them 1.03-1.04×
 * (`bun run bench`, phase 7, on a busy 2-core machine).
 */
export function registerProcessMetrics(registry: Registry): void {
  const registers = [registry];
  let reported = 0;
  new Counter({
    name: "process_cpu_seconds_total",
    help: "User and system CPU time spent, in seconds",
    registers,
    collect() {
      const { user, system } = process.cpuUsage();
      const seconds = (user + system) / 1e6;
      this.inc(seconds - reported);
      reported = seconds;
    },
  });
  new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size, in bytes",
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
}
