// Pausing and resuming a running task (taskd extensions, Astra's states): the API commits PAUSING
// (or RUNNING again) with its audit event, then the runner that holds the task freezes (or thaws)
// its process group and, for a pause, records PAUSED once frozen. Checks and wording as cancel's.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notAuthorized, unprocessable } from '../core/errors.js';
import { TRANSITIONS } from '../core/task-states.js';
import type { Database, TaskRow } from '../store/schema.js';
import { currentTask, requestPauseChange } from '../store/tasks/transitions.js';
import type { TaskInApp } from '../fetchers/tasks.js';
import type { TaskSignals } from '../signals/task-signals.js';
import { recordTaskEvent } from './audit-events.js';
import { assertWritable } from './writable.js';

interface PauseChange {
  event: 'pause' | 'resume';
  /** As in "cannot be paused". */
  participle: string;
  auditType: 'audit.app.task.pause' | 'audit.app.task.resume';
  signal(signals: TaskSignals, guid: string): void;
}

const PAUSE: PauseChange = {
  event: 'pause',
  participle: 'paused',
  auditType: 'audit.app.task.pause',
  signal: (s, guid) => s.pauseRequested(guid),
};
const RESUME: PauseChange = {
  event: 'resume',
  participle: 'resumed',
  auditType: 'audit.app.task.resume',
  signal: (s, guid) => s.resumeRequested(guid),
};

/** Returns the task as committed PAUSING (the runner records PAUSED once its processes are frozen). */
export const pauseTask = (db: Kysely<Database>, signals: TaskSignals, actor: Permissions, found: TaskInApp) =>
  change(db, signals, actor, found, PAUSE);

/** Returns the task as committed RUNNING again. */
export const resumeTask = (db: Kysely<Database>, signals: TaskSignals, actor: Permissions, found: TaskInApp) =>
  change(db, signals, actor, found, RESUME);

async function change(
  db: Kysely<Database>,
  signals: TaskSignals,
  actor: Permissions,
  found: TaskInApp,
  how: PauseChange,
): Promise<TaskRow> {
  const { task, space, org } = found;
  const { from } = TRANSITIONS[how.event];
  const refused = (state: string) => unprocessable(`Task state is ${state} and therefore cannot be ${how.participle}`);
  if (!actor.canManageApps({ spaceId: space.id, organizationId: org.id })) throw notAuthorized();
  assertWritable(actor, org, space);
  if (!(from as readonly string[]).includes(task.state)) throw refused(task.state);

  const changed = await db.transaction().execute(async (trx) => {
    const row = await requestPauseChange(trx, task.id, how.event);
    if (!row) {
      // It moved on between the read and this update (and nothing was changed).
      throw refused((await currentTask(trx, task.id))?.state ?? task.state);
    }
    await recordTaskEvent(trx, how.auditType, actor, found, row);
    return row;
  });
  how.signal(signals, changed.guid);
  return changed;
}
