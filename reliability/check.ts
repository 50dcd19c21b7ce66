// What a reliability check is and what it reports. Each check attacks or breaks taskd on purpose,
// bounded in time and count, against 127.0.0.1 only, and reports what it tried and what held.
// `npm run reliability` runs them all at full size; test/reliability/ runs the fast ones small
// inside `npm test`, asserting the same report.

export interface CheckOptions {
  /** The small version: what `npm test` runs (fewer trials, same properties). */
  quick: boolean;
  /** Seed for every random choice, printed with any failure so it can be replayed. */
  seed: number;
  /** Progress lines for a human watching a long run. */
  log(line: string): void;
}

export interface CheckReport {
  /** How many trials (requests, races, crashes, cases) were made. */
  trials: number;
  /** One line per property that broke, saying which trial and what was seen. Empty when all held. */
  failures: string[];
  /** The properties that were checked, in words, whether they held or not. */
  checked: string[];
  /** Measurements: name → value with its unit (e.g. "p99 probe latency": "12.4 ms"). */
  figures: Record<string, string | number>;
  /** Set when the check could not run here (e.g. no PostgreSQL), with the reason. */
  skipped?: string;
}

export interface ReliabilityCheck {
  /** Short id for --only (e.g. "races-sqlite"). */
  name: string;
  /** One line saying what it does. */
  title: string;
  run(options: CheckOptions): Promise<CheckReport>;
}

/** A report for a check that cannot run here. */
export function skippedReport(reason: string): CheckReport {
  return { trials: 0, failures: [], checked: [], figures: {}, skipped: reason };
}

/** Collects failures without stopping at the first, capped so a broken run prints readably. */
export class FailureLog {
  readonly lines: string[] = [];
  private dropped = 0;
  constructor(private readonly cap = 50) {}

  add(line: string): void {
    if (this.lines.length < this.cap) this.lines.push(line);
    else this.dropped++;
  }

  /** The collected lines, with a count of those left out. */
  get all(): string[] {
    return this.dropped ? [...this.lines, `… and ${this.dropped} more`] : this.lines;
  }
}

/** A small seeded PRNG (mulberry32), so a failing trial can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Percentile of a list of numbers (nearest rank); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
