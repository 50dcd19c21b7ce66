// A well-behaved client beside the slow ones: an authenticated GET at a steady rate, each timed
// from send to the last byte of its answer, over a kept-alive connection as a real client would
// use. It runs in a worker thread of its own (probe-worker.mjs).
import { Worker } from 'node:worker_threads';
import { percentile } from '../check.js';

export interface ProbeResult {
  requests: number;
  failures: string[];
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export class Probe {
  private readonly latencies: number[] = [];
  private readonly failures: string[] = [];
  private worker?: Worker;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly everyMs: number,
  ) {}

  /** Resolves once the worker has made its first (uncounted) request and the steady ones begin. */
  start(): Promise<void> {
    this.worker = new Worker(new URL('./probe-worker.mjs', import.meta.url), {
      workerData: { url: this.url, token: this.token, everyMs: this.everyMs },
    });
    return new Promise((resolve, reject) => {
      this.worker!.once('error', reject);
      this.worker!.on('message', (m: { ms?: number; failure?: string; ready?: boolean }) => {
        if (m.ready) resolve();
        if (m.ms !== undefined) this.latencies.push(m.ms);
        if (m.failure !== undefined) this.failures.push(m.failure);
      });
    });
  }

  async stop(): Promise<ProbeResult> {
    const worker = this.worker!;
    await new Promise<void>((resolve) => {
      worker.on('message', (m: { done?: boolean }) => m.done && resolve());
      worker.postMessage('stop');
    });
    await worker.terminate();
    return {
      requests: this.latencies.length + this.failures.length,
      failures: this.failures,
      p50Ms: percentile(this.latencies, 50),
      p99Ms: percentile(this.latencies, 99),
      maxMs: Math.max(...this.latencies),
    };
  }
}
