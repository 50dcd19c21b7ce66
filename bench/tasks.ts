// Creating tasks through the API and watching them in the store. Timestamps come from the
// store (started_at is kept to the millisecond; the API shows whole seconds), read through a
// read-only connection that never holds a transaction open.
import { performance } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import type { Api } from './api.js';

export const TERMINAL = new Set(['SUCCEEDED', 'FAILED']);
/** Small, so neither a quota nor the runner's memory accounting can be what limits the run. */
export const TASK_MEMORY_MB = 128;

export class TaskWatcher {
  private readonly db: SQLite.Database;
  private readonly byGuid: SQLite.Statement;

  constructor(dbFile: string) {
    this.db = new SQLite(dbFile, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 5000');
    this.byGuid = this.db.prepare('select state, started_at, finished_at, failure_reason from tasks where guid = ?');
  }

  task(guid: string): { state: string; started_at: string | null; finished_at: string | null; failure_reason: string | null } | undefined {
    return this.byGuid.get(guid) as any;
  }

  /** What the task printed, in order. */
  output(guid: string): string {
    const rows = this.db
      .prepare('select l.text from task_log_lines l join tasks t on t.id = l.task_id where t.guid = ? order by l.seq')
      .all(guid) as { text: string }[];
    return rows.map((r) => r.text).join('');
  }

  /** Task counts by state over the given apps. */
  states(appGuids: string[]): Record<string, number> {
    const rows = this.db
      .prepare(
        `select t.state, count(*) as n from tasks t join apps a on a.id = t.app_id where a.guid in (${appGuids.map(() => '?').join(',')}) group by t.state`,
      )
      .all(...appGuids) as { state: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  close(): void {
    this.db.close();
  }
}

export async function createTask(
  api: Api,
  appGuid: string,
  command = 'true',
): Promise<{ status: number; guid?: string; state?: string; error?: string }> {
  const res = await api.request('POST', `/v3/apps/${appGuid}/tasks`, { command, memory_in_mb: TASK_MEMORY_MB });
  if (res.status !== 202) return { status: res.status, error: JSON.stringify(res.body) };
  return { status: res.status, guid: res.body.guid, state: res.body.state };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Wall-clock milliseconds with sub-millisecond precision, comparable with the store's
 * timestamps and `date +%s%N` on this host: the monotonic clock, anchored to Date.now() at the
 * moment its millisecond ticks (anchored anew for each series, so no drift accumulates).
 */
export function wallClock(): () => number {
  const first = Date.now();
  let now = Date.now();
  while (now === first) now = Date.now();
  const offset = now - performance.now();
  return () => offset + performance.now();
}
