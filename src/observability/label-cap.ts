/** What a label reads once it has seen its cap of distinct values. */
export const overflowValue = "other";

/**
 * Bounds each label's distinct values: the first `max` values of a label pass as they are, every
 * later one is `other`. A time series lives in Prometheus for as long as it is scraped, so an
 * unbounded label (a flood of new keys, a client inventing model names) would grow memory here and
 * there without end; `other` keeps the totals right while the detail stops.
 */
export class LabelCap {
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly max: number) {}

  value(label: string, value: string): string {
    let values = this.seen.get(label);
    if (!values) {
      values = new Set();
      this.seen.set(label, values);
    }
    if (values.has(value)) return value;
    if (values.size >= this.max) return overflowValue;
    values.add(value);
    return value;
  }
}
