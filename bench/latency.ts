// Sequential creates through the API, each timed from just before the client sends
// POST /v3/apps/:guid/tasks; each create waits for its task to end before the next, so no two
// tasks overlap. What each task's timeline holds is read from the store once it ended.
import type { Api } from './api.js';
import { createTask, sleep, TERMINAL, wallClock } from './tasks.js';

/** A task's row and output as the store holds them: the bench's SQLite watcher, or a PostgreSQL query. */
export interface TaskReader {
  task(guid: string): TaskTimes | undefined | Promise<TaskTimes | undefined>;
  output(guid: string): string | Promise<string>;
}

export interface TaskTimes {
  state: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface Sample {
  sent: number;
  responded: number;
  startedAt?: number;
  finishedAt?: number;
  output: string;
  state: string;
}

export interface Series {
  samples: Sample[];
  /** The state each create response showed. */
  createStates: Record<string, number>;
  failed: number;
  error?: string;
}

export async function sequentialCreates(
  api: Api,
  watcher: TaskReader,
  appGuid: string,
  count: number,
  command: string,
  withOutput: boolean,
): Promise<Series> {
  const series: Series = { samples: [], createStates: {}, failed: 0 };
  const wall = wallClock();
  for (let i = 0; i < count; i++) {
    const sent = wall();
    const created = await createTask(api, appGuid, command);
    const responded = wall();
    if (!created.guid) {
      series.error = `create answered ${created.status}: ${created.error}`;
      return series;
    }
    series.createStates[created.state!] = (series.createStates[created.state!] ?? 0) + 1;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const row = await watcher.task(created.guid);
      if (row && TERMINAL.has(row.state)) {
        if (row.state === 'FAILED') series.failed++;
        series.samples.push({
          sent,
          responded,
          startedAt: row.started_at ? Date.parse(row.started_at) : undefined,
          finishedAt: row.finished_at ? Date.parse(row.finished_at) : undefined,
          output: withOutput ? await watcher.output(created.guid) : '',
          state: row.state,
        });
        break;
      }
      if (Date.now() > deadline) {
        series.error = `task ${created.guid} still ${row?.state} after 30 s`;
        return series;
      }
      await sleep(1);
    }
  }
  return series;
}

/** Milliseconds from send to the time a `date +%s%N` task printed, for tasks that printed one. */
export function selfReported(series: Series): number[] {
  return series.samples.flatMap((s) => {
    const printed = /^(\d{19})\s*$/.exec(s.output);
    return printed ? [Number(BigInt(printed[1]) / 1000n) / 1000 - s.sent] : [];
  });
}
