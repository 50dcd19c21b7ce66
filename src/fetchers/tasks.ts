// One task with the rows of its app, space and org, for the routes and actions that act on it.
// Lists of tasks, in every dialect, are read through task-query.ts.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notFound } from '../core/errors.js';
import type { AppRow, Database, OrganizationRow, SpaceRow } from '../store/schema.js';
import { findAppWhere } from './apps.js';
import { readableTask, type TaskView } from './task-query.js';

export interface TaskInApp {
  /** Its labels left out: whoever shows a task found here reads its metadata on its own (CF). */
  task: TaskView;
  app: AppRow;
  space: SpaceRow;
  org: OrganizationRow;
}

/** The task with its app, space and org if the caller may read it; else 404 "Task not found". */
export async function getReadableTask(db: Kysely<Database>, actor: Permissions, guid: string): Promise<TaskInApp> {
  const found = await findTask(db, guid);
  if (!found || !actor.canReadSpace({ spaceId: found.space.id, organizationId: found.org.id })) throw notFound('Task');
  return found;
}

/** The task, whoever may read it. */
export async function findTask(db: Kysely<Database>, guid: string): Promise<TaskInApp | undefined> {
  const task = await readableTask(db, { all: true }, { guid }, { withLabels: false });
  if (!task) return undefined;
  const owners = await findAppWhere(db, 'apps.id', task.app_id);
  return owners && { task, ...owners };
}
