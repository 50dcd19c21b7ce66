// What the API does not show, read straight from the trial's SQLite file: which runner holds each
// task (to tell a task adopted by the live taskd from one left behind by the dead one), and,
// once taskd has stopped, whether the database is intact and its rows consistent.
import Database from 'better-sqlite3';
import path from 'node:path';

export interface HeldRow {
  guid: string;
  state: string;
  runner_id: string | null;
  started_at: string | null;
  /** The last output line stored, 0 for none. */
  last_seq: number;
}

function open(dataDir: string): Database.Database {
  return new Database(path.join(dataDir, 'taskd.db'), { readonly: true, fileMustExist: true });
}

/** Every task's state and runner, and the id of the runner the process `pid` registered. */
export function runnerView(dataDir: string, taskdPid: number): { tasks: HeldRow[]; liveRunner?: string; slots: number } {
  const db = open(dataDir);
  try {
    db.pragma('busy_timeout = 5000');
    const tasks = db
      .prepare(
        'select guid, state, runner_id, started_at, coalesce((select max(seq) from task_log_lines l where l.task_id = tasks.id), 0) as last_seq from tasks',
      )
      .all() as HeldRow[];
    const runner = db.prepare('select id, slots from runners where pid = ? order by started_at desc limit 1').get(taskdPid) as
      { id: string; slots: number } | undefined;
    return { tasks, liveRunner: runner?.id, slots: runner?.slots ?? 0 };
  } finally {
    db.close();
  }
}

/**
 * The database's own integrity check, its foreign keys, and the invariants of task rows: a
 * final task has its end time and a non-final one none; SUCCEEDED means exit status 0; FAILED
 * has a reason; no output line outlives its task. Empty when all hold.
 */
export function storeProblems(dataDir: string): string[] {
  const db = open(dataDir);
  const problems: string[] = [];
  try {
    const integrity = db.pragma('integrity_check') as { integrity_check: string }[];
    const verdict = integrity.map((r) => r.integrity_check).join('; ');
    if (verdict !== 'ok') problems.push(`PRAGMA integrity_check: ${verdict.slice(0, 300)}`);
    const fk = db.pragma('foreign_key_check') as unknown[];
    if (fk.length) problems.push(`PRAGMA foreign_key_check: ${fk.length} rows violate a foreign key, e.g. ${JSON.stringify(fk[0])}`);
    const checks: [string, string][] = [
      ['final task without finished_at', "select guid from tasks where state in ('SUCCEEDED','FAILED') and finished_at is null"],
      ['unfinished task with finished_at', "select guid from tasks where state not in ('SUCCEEDED','FAILED') and finished_at is not null"],
      [
        'SUCCEEDED task with an exit status other than 0',
        "select guid from tasks where state = 'SUCCEEDED' and (exit_status is null or exit_status != 0 or failure_reason is not null)",
      ],
      ['FAILED task without a failure reason', "select guid from tasks where state = 'FAILED' and failure_reason is null"],
      [
        'output lines of a task that does not exist',
        'select distinct task_id as guid from task_log_lines where task_id not in (select id from tasks)',
      ],
    ];
    for (const [what, query] of checks) {
      const rows = db.prepare(query).all() as { guid: string }[];
      if (rows.length) problems.push(`${what}: ${rows.length} (e.g. ${rows[0]!.guid})`);
    }
  } finally {
    db.close();
  }
  return problems;
}
