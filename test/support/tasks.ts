// Test data for task reads: task rows inserted straight into the store, with the states and
// timestamps a test needs (the API can only create PENDING tasks "now"). Rows are shaped as the
// create action writes them: the app's space and org denormalised, the app's next sequence id.
import { randomUUID } from 'node:crypto';
import type { NewTask, TaskRow } from '../../src/store/schema.js';
import assert from 'node:assert/strict';
import type { Harness } from './harness.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';

export type TaskOverrides = Partial<Omit<NewTask, 'id' | 'app_id' | 'space_id' | 'organization_id' | 'sequence_id'>>;

/** Inserts a task of the app (by guid); defaults to a RUNNING `sleep 300` created now. */
export async function seedTask(h: Harness, appGuid: string, overrides: TaskOverrides = {}): Promise<TaskRow> {
  return h.db.transaction().execute(async (trx) => {
    // Taking the number by incrementing first locks the app row, as the create action does.
    const taken = await trx
      .updateTable('apps')
      .set((eb) => ({ next_task_sequence_id: eb('next_task_sequence_id', '+', 1) }))
      .where('guid', '=', appGuid)
      .returning('next_task_sequence_id')
      .executeTakeFirstOrThrow();
    const app = await trx
      .selectFrom('apps')
      .innerJoin('spaces', 'spaces.id', 'apps.space_id')
      .leftJoin('droplets', 'droplets.id', 'apps.current_droplet_id')
      .select(['apps.id', 'apps.space_id', 'spaces.organization_id', 'droplets.guid as droplet_guid'])
      .where('apps.guid', '=', appGuid)
      .executeTakeFirstOrThrow();
    const now = new Date().toISOString();
    const row: NewTask = {
      guid: randomUUID(),
      app_id: app.id,
      space_id: app.space_id,
      organization_id: app.organization_id,
      sequence_id: taken.next_task_sequence_id - 1,
      name: randomUUID().slice(0, 8),
      command: 'sleep 300',
      user: null,
      state: 'RUNNING',
      memory_in_mb: 1024,
      disk_in_mb: 1024,
      log_rate_limit: -1,
      droplet_guid: app.droplet_guid ?? randomUUID(),
      failure_reason: null,
      created_at: now,
      updated_at: now,
      ...overrides,
    };
    return trx.insertInto('tasks').values(row).returningAll().executeTakeFirstOrThrow();
  });
}

/** Several tasks of one app, in order (so ids and sequence ids ascend). */
export async function seedTasks(h: Harness, appGuid: string, many: TaskOverrides[]): Promise<TaskRow[]> {
  const out: TaskRow[] = [];
  for (const overrides of many) out.push(await seedTask(h, appGuid, overrides));
  return out;
}

/** Sets labels on a task directly in the metadata table. */
export async function labelTask(h: Harness, task: TaskRow, labels: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(labels)) {
    const [prefix, name] = key.includes('/') ? key.split('/') : ['', key];
    await h.db
      .insertInto('metadata')
      .values({ resource_kind: 'task', resource_id: task.id, metadata_kind: 'label', key_prefix: prefix, key_name: name, value })
      .execute();
  }
}

/** An org, a space in it and an app in that (no droplet). */
export async function appInNewSpace(h: Harness) {
  const org = await h.org();
  const space = await h.space(org.guid);
  const app = await h.app(space.guid);
  return { org, space, app };
}

/**
 * For suites whose node runs nothing (runnerSlots 0): a runner elsewhere seems alive, so tasks are
 * accepted and stay where the test puts them.
 */
export async function pretendRunnerElsewhere(h: Harness): Promise<void> {
  const now = new Date().toISOString();
  const far = new Date(Date.now() + 3600_000).toISOString();
  await h.db
    .insertInto('runners')
    .values({ id: `elsewhere-${h.unique('r')}`, hostname: 'elsewhere', pid: 1, slots: 4, started_at: now, heartbeat_at: far })
    .execute();
}

/** A `sleep 300` task (plus any body fields) created through the API in a new app of the space. */
export async function newSleepingTask(h: Harness, spaceGuid: string, body: Record<string, unknown> = {}) {
  const { app } = await appWithCurrentDroplet(h, spaceGuid);
  const res = await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'sleep 300', ...body });
  assert.equal(res.status, 202, res.text);
  return { app, task: res.body };
}

/** A new org with a space in it. */
export async function freshSpace(h: Harness) {
  const org = await h.org();
  return { org, space: await h.space(org.guid) };
}
