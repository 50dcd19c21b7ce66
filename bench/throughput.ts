// End-to-end throughput: `concurrency` clients each create `true` tasks in a loop (each on its own
// fresh app) until `total` are created; the clock stops when the store shows all of them ended.
import { performance } from 'node:perf_hooks';
import type { Api } from './api.js';
import { createTask, sleep, TERMINAL } from './tasks.js';

export interface ThroughputResult {
  tasksPerSecond: number;
  createsPerSecond: number;
  seconds: number;
  states: Record<string, number>;
  error?: string;
}

/** Task counts by state over some apps: the bench's SQLite watcher, or a PostgreSQL query. */
export interface StateCounter {
  states(appGuids: string[]): Record<string, number> | Promise<Record<string, number>>;
}

export async function endToEnd(
  api: Api,
  watcher: StateCounter,
  appGuids: string[],
  total: number,
  timeoutSeconds: number,
): Promise<ThroughputResult> {
  let created = 0;
  let error: string | undefined;
  const t0 = performance.now();
  const client = async (appGuid: string) => {
    while (created < total && !error) {
      created++;
      const res = await createTask(api, appGuid);
      if (!res.guid) {
        error = `create answered ${res.status}: ${res.error}`;
        created--;
      }
    }
  };
  await Promise.all(appGuids.map(client));
  const createSeconds = (performance.now() - t0) / 1000;
  let states: Record<string, number>;
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    states = await watcher.states(appGuids);
    const ended = Object.entries(states).reduce((n, [s, c]) => n + (TERMINAL.has(s) ? c : 0), 0);
    if (ended >= created) break;
    if (Date.now() > deadline) {
      error ??= `${created - ended} of ${created} tasks had not ended ${timeoutSeconds} s after the start`;
      break;
    }
    await sleep(20);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { tasksPerSecond: (states.SUCCEEDED ?? 0) / seconds, createsPerSecond: created / createSeconds, seconds, states, error };
}
