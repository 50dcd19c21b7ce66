// The quiet tenant, driven from the check: its measurements and the prober run in their own thread
// (quiet-worker.mjs says exactly what each measures); this side asks for a phase and reads back
// what was seen.
import { Worker } from 'node:worker_threads';
import type { Tenant } from './world.js';

export interface Measured {
  /** Milliseconds from create to seen running; Infinity for a task never seen running. */
  createToRunningMs: number[];
  /** Latency of each answered API request (list, get). */
  apiMs: number[];
  /** Latency of each create request. */
  createMs: number[];
  /** Every request of the quiet tenant's that was not a 2xx, or a task that never ran. */
  failures: string[];
  requests: number;
  neverRan: number;
}

export interface Probed {
  requests: number;
  ms: number[];
  failures: string[];
}

export interface QuietPace {
  /** Between two polls of a task's state until it ends (create→running is read off the task's own clock). */
  pollMs: number;
  /** Between two API requests. */
  apiEveryMs: number;
  /** Between two rounds of probes (/healthz and /readyz). */
  probeEveryMs: number;
  /** A request unanswered this long counts as no answer. */
  timeoutMs: number;
}

export class QuietTenant {
  private constructor(private readonly worker: Worker) {}

  static async start(port: number, tenant: Tenant, pace: QuietPace): Promise<QuietTenant> {
    const worker = new Worker(new URL('./quiet-worker.mjs', import.meta.url), {
      workerData: {
        port,
        localAddress: tenant.client.localAddress,
        token: tenant.client.authorization.slice('bearer '.length),
        appGuid: tenant.appGuid,
        username: tenant.username,
        password: tenant.password,
        ...pace,
      },
    });
    const quiet = new QuietTenant(worker);
    await quiet.next('ready');
    return quiet;
  }

  private next<T>(type: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: { type: string; result: T }) => {
        if (m.type !== type) return;
        this.worker.off('message', onMessage);
        this.worker.off('error', reject);
        resolve(m.result);
      };
      this.worker.on('message', onMessage);
      this.worker.once('error', reject);
    });
  }

  /** Creates tasks one after another and makes API requests for `ms` (see quiet-worker.mjs). */
  measure(ms: number, waitRunningMs: number, gapMs: number): Promise<Measured> {
    const done = this.next<Measured>('measured');
    this.worker.postMessage({ type: 'measure', ms, waitRunningMs, gapMs });
    return done;
  }

  startProbes(): Promise<void> {
    const started = this.next<void>('probing');
    this.worker.postMessage({ type: 'probe-start' });
    return started;
  }

  stopProbes(): Promise<Probed> {
    const done = this.next<Probed>('probed');
    this.worker.postMessage({ type: 'probe-stop' });
    return done;
  }

  /** Logs in with the quiet user's own password, from its own address. */
  login(): Promise<{ status: number; text: string }> {
    const done = this.next<{ status: number; text: string }>('login');
    this.worker.postMessage({ type: 'login' });
    return done;
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
