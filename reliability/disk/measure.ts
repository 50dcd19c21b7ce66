// What the flood and soak checks measure of a running taskd: the resident memory of taskd and of
// its task supervisor (sampled from /proc), the event loop delay taskd exports in /metrics (read
// as the difference of two scrapes), and the latency of a probe request made now and then.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { sleep } from '../support/taskd-process.js';
import { residentBytes, type TaskdServer } from './taskd-server.js';

export const MB = 2 ** 20;

export interface MemorySample {
  /** ms since sampling started */
  at: number;
  taskd?: number;
  supervisor?: number;
}

/** Samples taskd's and the supervisor's VmRSS every `everyMs` until stopped. */
export class MemorySampler {
  readonly samples: MemorySample[] = [];
  private timer?: NodeJS.Timeout;
  private readonly started = performance.now();
  private supervisorPid?: number;

  constructor(
    private readonly taskd: TaskdServer,
    everyMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    // The supervisor may start (or start again) while sampling: looked up until found, and again once gone.
    if (this.supervisorPid === undefined || residentBytes(this.supervisorPid) === undefined)
      this.supervisorPid = this.taskd.supervisorPid();
    this.samples.push({
      at: performance.now() - this.started,
      taskd: residentBytes(this.taskd.pid),
      supervisor: this.supervisorPid === undefined ? undefined : residentBytes(this.supervisorPid),
    });
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  max(who: 'taskd' | 'supervisor', fromMs = 0): number {
    return Math.max(0, ...this.samples.filter((s) => s.at >= fromMs).map((s) => s[who] ?? 0));
  }

  /** The mean of the samples within [fromMs, toMs). */
  mean(who: 'taskd' | 'supervisor', fromMs: number, toMs: number): number {
    const values = this.samples.filter((s) => s.at >= fromMs && s.at < toMs && s[who] !== undefined).map((s) => s[who]!);
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
  }

  /** Least-squares slope of taskd's RSS over [fromMs, end], in bytes per minute. */
  slopePerMinute(who: 'taskd' | 'supervisor', fromMs: number): number {
    const points = this.samples.filter((s) => s.at >= fromMs && s[who] !== undefined).map((s) => [s.at / 60_000, s[who]!] as const);
    const n = points.length;
    if (n < 2) return NaN;
    const mx = points.reduce((a, [x]) => a + x, 0) / n;
    const my = points.reduce((a, [, y]) => a + y, 0) / n;
    const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
    const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
    return sxx ? sxy / sxx : NaN;
  }
}

export interface DelayWindow {
  /** Samples in the window. */
  count: number;
  /** Upper bounds (seconds) of the buckets holding the median, the 99th percentile and the largest sample. */
  p50: number;
  p99: number;
  max: number;
}

const DELAY = 'taskd_event_loop_delay_seconds';

/** The event loop delay histogram's cumulative buckets from a scrape: upper bound → count. */
export function delayBuckets(metrics: Map<string, number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const [key, value] of metrics) {
    const m = new RegExp(`^${DELAY}_bucket\\{le="([^"]+)"\\}$`).exec(key);
    if (m) out.set(m[1] === '+Inf' ? Infinity : Number(m[1]), value);
  }
  return out;
}

/** Percentiles of the event loop delay between two scrapes, to the precision of the buckets. */
export function delayBetween(before: Map<string, number>, after: Map<string, number>): DelayWindow {
  const a = delayBuckets(before);
  const b = delayBuckets(after);
  const bounds = [...b.keys()].sort((x, y) => x - y);
  const cumulative = bounds.map((bound) => (b.get(bound) ?? 0) - (a.get(bound) ?? 0));
  const count = cumulative[cumulative.length - 1] ?? 0;
  const at = (q: number) => bounds[cumulative.findIndex((c) => c >= Math.ceil(q * count))] ?? NaN;
  return { count, p50: at(0.5), p99: at(0.99), max: at(1) };
}

export const formatBound = (seconds: number) =>
  seconds === Infinity ? '> 5 s' : `≤ ${(seconds * 1000).toFixed(seconds < 0.01 ? 1 : 0)} ms`;

/** GETs /healthz every `everyMs`, recording each answer's latency (ms) and any failure. */
export class Probe {
  readonly latencies: number[] = [];
  readonly failures: string[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(taskd: TaskdServer, everyMs = 100) {
    this.done = (async () => {
      while (this.running) {
        const started = performance.now();
        try {
          // Asked again once where a kept-alive connection was closed by the server just as it was reused.
          const probe = () => fetch(`${taskd.url}/healthz`, { signal: AbortSignal.timeout(10_000) });
          const res = await probe().catch(probe);
          await res.text();
          if (res.status !== 200) this.failures.push(`probe answered ${res.status}`);
        } catch (err) {
          this.failures.push(`probe failed: ${(err as Error).message}`);
        }
        this.latencies.push(performance.now() - started);
        await sleep(everyMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

/** CPU time (user + system) a process has used, in seconds; NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15), in clock ticks of 1/100 s on Linux.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/**
 * What else the machine was doing: a loaded machine (shared, or small) delays every event loop,
 * taskd's among them, so delay figures are read beside it.
 */
export function machineLoad(): string {
  const [one, five] = loadavg();
  return `load average ${one!.toFixed(1)} (1 min), ${five!.toFixed(1)} (5 min) on ${cpus().length} cores`;
}
