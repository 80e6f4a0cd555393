/**
 * Prometheus's text exposition format, parsed strictly enough for tests: every line is a comment
 * (`# HELP`, `# TYPE`) or `name{label="value",…} number`; anything else throws, so an exposition
 * a scraper would reject fails the test.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const samplePattern = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/g;

export function parseExposition(text: string): Sample[] {
  return text
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("# HELP ") && !line.startsWith("# TYPE "))
    .map(parseSample);
}

function parseSample(line: string): Sample {
  const match = samplePattern.exec(line);
  const value = Number(match?.[3]);
  // Prometheus reads NaN in any case (Go's ParseFloat); prom-client writes `Nan` for an empty event-loop histogram.
  if (!match?.[1] || (Number.isNaN(value) && !/^nan$/i.test(match[3] ?? ""))) throw new Error(`not an exposition line: ${line}`);
  const labels: Record<string, string> = {};
  const body = match[2] ?? "";
  let consumed = 0;
  for (const label of body.matchAll(labelPattern)) {
    if (label.index !== consumed) break;
    labels[label[1] ?? ""] = (label[2] ?? "").replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    consumed = label.index + label[0].length;
  }
  if (consumed !== body.length) throw new Error(`labels not parsed: ${line}`);
  return { name: match[1], labels, value };
}

/** The value of the one sample named `name` whose labels include `labels`; 0 when there is none (a counter never incremented). */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

/** Every sample of `name`, as `label=value,…` → value, for whole-metric comparisons. */
export function series(samples: Sample[], name: string): Record<string, number> {
  return Object.fromEntries(
    samples
      .filter((s) => s.name === name)
      .map((s) => [
        Object.entries(s.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(","),
        s.value,
      ]),
  );
}
