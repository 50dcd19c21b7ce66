// Prometheus text exposition (format 0.0.4) for the few metric kinds taskd keeps: gauges read at
// scrape time, and counters and histograms kept in memory by this process. Written here rather
// than taken from prom-client: this is all of it, each taskd instance gets its own metrics
// without a process-global registry (tests run several in one process), and no dependency.
export type Labels = Record<string, string>;

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Label values may hold anything: backslash, double quote and newline are escaped. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return pairs.length ? `{${pairs.join(',')}}` : '';
}

function formatValue(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function header(name: string, help: string, type: 'gauge' | 'counter' | 'histogram'): string[] {
  return [`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`];
}

export interface Sample {
  labels?: Labels;
  value: number;
}

/** A gauge whose samples are read when scraped. */
export function renderGauge(name: string, help: string, samples: Sample[]): string[] {
  return [...header(name, help, 'gauge'), ...samples.map((s) => `${name}${formatLabels(s.labels ?? {})} ${formatValue(s.value)}`)];
}

/** Series keyed by their labels' values, in the order of the metric's label names. */
function seriesKey(labelNames: readonly string[], labels: Labels): string {
  return JSON.stringify(labelNames.map((n) => labels[n] ?? ''));
}

export class Counter {
  private readonly series = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[] = [],
  ) {
    // A counter without labels exists from the start: 0 is an answer, a missing series is not.
    if (!labelNames.length) this.series.set(seriesKey([], {}), { labels: {}, value: 0 });
  }

  inc(amount: number, labels: Labels = {}): void {
    const key = seriesKey(this.labelNames, labels);
    const entry = this.series.get(key);
    if (entry) entry.value += amount;
    else this.series.set(key, { labels, value: amount });
  }

  render(): string[] {
    return [
      ...header(this.name, this.help, 'counter'),
      ...[...this.series.values()].map((s) => `${this.name}${formatLabels(s.labels)} ${formatValue(s.value)}`),
    ];
  }
}

interface HistogramSeries {
  labels: Labels;
  /** Observations per bucket (not cumulative); the last is the +Inf bucket. */
  buckets: number[];
  sum: number;
  count: number;
}

export class Histogram {
  private readonly series = new Map<string, HistogramSeries>();

  /** @param bounds upper bounds of the buckets, ascending; +Inf is added */
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {}

  observe(value: number, labels: Labels): void {
    const key = seriesKey(this.labelNames, labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, buckets: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    const index = this.bounds.findIndex((bound) => value <= bound);
    entry.buckets[index === -1 ? this.bounds.length : index]! += 1;
    entry.sum += value;
    entry.count += 1;
  }

  render(): string[] {
    const lines = header(this.name, this.help, 'histogram');
    for (const s of this.series.values()) {
      let cumulative = 0;
      [...this.bounds, Infinity].forEach((bound, i) => {
        cumulative += s.buckets[i]!;
        lines.push(`${this.name}_bucket${formatLabels({ ...s.labels, le: formatValue(bound) })} ${cumulative}`);
      });
      lines.push(`${this.name}_sum${formatLabels(s.labels)} ${formatValue(s.sum)}`);
      lines.push(`${this.name}_count${formatLabels(s.labels)} ${s.count}`);
    }
    return lines;
  }
}
