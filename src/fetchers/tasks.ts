// Reads of tasks, scoped to the spaces the caller may read.
import { sql, type Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notFound } from '../core/errors.js';
import type { Database, OrganizationRow, SpaceRow, AppRow } from '../store/schema.js';
import type { TaskWithRefs } from '../api/cf/presenters/task.js';

export interface TaskInApp {
  task: TaskWithRefs;
  app: AppRow;
  space: SpaceRow;
  org: OrganizationRow;
}

/** Tasks joined with their app's guid and whether their droplet still exists. */
export function tasksWithRefs(db: Kysely<Database>) {
  return db
    .selectFrom('tasks')
    .innerJoin('apps', 'apps.id', 'tasks.app_id')
    .selectAll('tasks')
    .select('apps.guid as app_guid')
    .select(sql<boolean>`exists (select 1 from droplets d where d.guid = tasks.droplet_guid)`.as('droplet_exists'));
}

/** The task with its app, space and org if the caller may read it; else 404 "Task not found". */
export async function getReadableTask(db: Kysely<Database>, actor: Permissions, guid: string): Promise<TaskInApp> {
  const found = await findTask(db, guid);
  if (!found || !actor.canReadSpace({ spaceId: found.space.id, organizationId: found.org.id })) throw notFound('Task');
  return found;
}

export async function findTask(db: Kysely<Database>, guid: string): Promise<TaskInApp | undefined> {
  const row = await tasksWithRefs(db).where('tasks.guid', '=', guid).executeTakeFirst();
  if (!row) return undefined;
  const task = { ...row, droplet_exists: Boolean(row.droplet_exists) } as TaskWithRefs;
  const app = await db.selectFrom('apps').selectAll().where('id', '=', task.app_id).executeTakeFirstOrThrow();
  const space = await db.selectFrom('spaces').selectAll().where('id', '=', task.space_id).executeTakeFirstOrThrow();
  const org = await db.selectFrom('organizations').selectAll().where('id', '=', task.organization_id).executeTakeFirstOrThrow();
  return { task, app, space, org };
}
