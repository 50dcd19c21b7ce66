// The trigger-maintained counters behind task list totals: whatever writes tasks or their labels
// (single rows, many rows in one statement, concurrent writers), the counters equal a fresh count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { describeEachStore, type Harness } from '../support/harness.js';
import { appInNewSpace, labelTask, seedTask, seedTasks } from '../support/tasks.js';

async function actualStateCounts(h: Harness): Promise<Record<string, number>> {
  const rows = await h.db
    .selectFrom('tasks')
    .select(['space_id', 'organization_id', 'state'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .groupBy(['space_id', 'organization_id', 'state'])
    .execute();
  return Object.fromEntries(rows.map((r) => [`${r.space_id}/${r.organization_id}/${r.state}`, Number(r.n)]));
}

async function counterStateCounts(h: Harness): Promise<Record<string, number>> {
  const rows = await h.db.selectFrom('task_counts').selectAll().where('count', '<>', 0).execute();
  return Object.fromEntries(rows.map((r) => [`${r.space_id}/${r.organization_id}/${r.state}`, Number(r.count)]));
}

async function actualLabelCounts(h: Harness): Promise<Record<string, number>> {
  const rows = await h.db
    .selectFrom('metadata')
    .select(['key_prefix', 'key_name', 'value'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('resource_kind', '=', 'task')
    .where('metadata_kind', '=', 'label')
    // Only labels of tasks that exist: what a list filtered by label would find.
    .where('resource_id', 'in', h.db.selectFrom('tasks').select('id'))
    .groupBy(['key_prefix', 'key_name', 'value'])
    .execute();
  return Object.fromEntries(rows.map((r) => [`${r.key_prefix}/${r.key_name}=${r.value}`, Number(r.n)]));
}

async function counterLabelCounts(h: Harness): Promise<Record<string, number>> {
  const rows = await h.db.selectFrom('task_label_counts').selectAll().where('count', '<>', 0).execute();
  return Object.fromEntries(rows.map((r) => [`${r.key_prefix}/${r.key_name}=${r.value}`, Number(r.count)]));
}

async function assertExact(h: Harness, why: string) {
  assert.deepEqual(await counterStateCounts(h), await actualStateCounts(h), `task_counts after ${why}`);
  assert.deepEqual(await counterLabelCounts(h), await actualLabelCounts(h), `task_label_counts after ${why}`);
  const negative = await h.db.selectFrom('task_counts').select('state').where('count', '<', 0).execute();
  assert.deepEqual(negative, [], 'no counter goes below zero');
}

describeEachStore(
  'task counters',
  (h) => {
    test('inserts in several spaces and states are counted per space and state', async () => {
      const a = await appInNewSpace(h);
      const b = await appInNewSpace(h);
      await seedTasks(h, a.app.guid, [{ state: 'RUNNING' }, { state: 'RUNNING' }, { state: 'SUCCEEDED' }, { state: 'FAILED' }]);
      await seedTasks(h, b.app.guid, [{ state: 'PENDING', command: 'sleep 300' }, { state: 'SUCCEEDED' }]);
      await assertExact(h, 'inserts');
      const spaceA = await h.db.selectFrom('spaces').select('id').where('guid', '=', a.space.guid).executeTakeFirstOrThrow();
      const running = await h.db
        .selectFrom('task_counts')
        .select('count')
        .where('space_id', '=', spaceA.id)
        .where('state', '=', 'RUNNING')
        .executeTakeFirstOrThrow();
      assert.equal(Number(running.count), 2);
    });

    test('state changes of one row and of many rows in one statement move counts between states', async () => {
      const { app } = await appInNewSpace(h);
      const tasks = await seedTasks(h, app.guid, [
        { state: 'RUNNING' },
        { state: 'RUNNING' },
        { state: 'RUNNING' },
        { state: 'CANCELING' },
      ]);
      await h.db.updateTable('tasks').set({ state: 'SUCCEEDED' }).where('id', '=', tasks[0].id).execute();
      await assertExact(h, 'one state change');
      await h.db
        .updateTable('tasks')
        .set({ state: 'FAILED', failure_reason: 'task was cancelled' })
        .where('app_id', '=', tasks[0].app_id)
        .where('state', 'in', ['RUNNING', 'CANCELING'])
        .execute();
      await assertExact(h, 'a many-row state change');
      await h.db
        .updateTable('tasks')
        .set({ updated_at: new Date().toISOString(), failure_reason: 'x' })
        .where('app_id', '=', tasks[0].app_id)
        .execute();
      await assertExact(h, 'an update that leaves state and space alone');
    });

    test('a task moved to another space is counted there', async () => {
      const a = await appInNewSpace(h);
      const b = await appInNewSpace(h);
      const task = await seedTask(h, a.app.guid, { state: 'SUCCEEDED' });
      const target = await h.db
        .selectFrom('spaces')
        .select(['id', 'organization_id'])
        .where('guid', '=', b.space.guid)
        .executeTakeFirstOrThrow();
      await h.db
        .updateTable('tasks')
        .set({ space_id: target.id, organization_id: target.organization_id })
        .where('id', '=', task.id)
        .execute();
      await assertExact(h, 'a space change');
    });

    test('deletes of one row and of many rows uncount them, and take their labels along', async () => {
      const { app } = await appInNewSpace(h);
      const tasks = await seedTasks(h, app.guid, [
        { state: 'SUCCEEDED' },
        { state: 'SUCCEEDED' },
        { state: 'FAILED' },
        { state: 'RUNNING' },
      ]);
      for (const t of tasks) await labelTask(h, t, { env: 'prod', 'example.com/tier': t.state === 'RUNNING' ? 'web' : 'batch' });
      await assertExact(h, 'labelling');
      await h.db.deleteFrom('tasks').where('id', '=', tasks[0].id).execute();
      await assertExact(h, 'one delete');
      await h.db.deleteFrom('tasks').where('app_id', '=', tasks[0].app_id).where('state', 'in', ['SUCCEEDED', 'FAILED']).execute();
      await assertExact(h, 'a many-row delete');
      const orphans = await h.db
        .selectFrom('metadata')
        .select('id')
        .where('resource_kind', '=', 'task')
        .where(
          'resource_id',
          'in',
          tasks.slice(0, 3).map((t) => t.id),
        )
        .execute();
      assert.deepEqual(orphans, [], 'deleted tasks keep no labels');
    });

    test('label changes — add, change value by upsert, remove, annotations ignored — keep label counts exact', async () => {
      const { app } = await appInNewSpace(h);
      const [t1, t2] = await seedTasks(h, app.guid, [{}, {}]);
      await labelTask(h, t1, { env: 'prod' });
      await labelTask(h, t2, { env: 'prod' });
      await h.db
        .insertInto('metadata')
        .values({ resource_kind: 'task', resource_id: t1.id, metadata_kind: 'annotation', key_prefix: '', key_name: 'env', value: 'prod' })
        .execute();
      await h.db
        .insertInto('metadata')
        .values({ resource_kind: 'app', resource_id: t1.id, metadata_kind: 'label', key_prefix: '', key_name: 'env', value: 'prod' })
        .execute();
      await assertExact(h, 'adding labels');
      // The way applyMetadataChange writes a changed value.
      await h.db
        .insertInto('metadata')
        .values({ resource_kind: 'task', resource_id: t2.id, metadata_kind: 'label', key_prefix: '', key_name: 'env', value: 'dev' })
        .onConflict((oc) =>
          oc.columns(['resource_kind', 'resource_id', 'metadata_kind', 'key_prefix', 'key_name']).doUpdateSet({ value: 'dev' }),
        )
        .execute();
      await assertExact(h, 'an upserted value');
      await h.db.deleteFrom('metadata').where('resource_kind', '=', 'task').where('resource_id', '=', t1.id).execute();
      await assertExact(h, 'removing labels');
    });

    test('concurrent writers in one space keep the counters exact', async () => {
      const { app } = await appInNewSpace(h);
      const tasks = await seedTasks(
        h,
        app.guid,
        Array.from({ length: 24 }, () => ({ state: 'PAUSED' })),
      );
      // Each task walks a cycle of states, all of them at once: lock order between counter rows
      // is exercised from every direction.
      const cycle = ['RUNNING', 'PAUSING', 'PAUSED', 'RUNNING', 'SUCCEEDED'];
      await Promise.all(
        tasks.map(async (t, i) => {
          for (const state of cycle.slice(i % 3)) await h.db.updateTable('tasks').set({ state }).where('id', '=', t.id).execute();
        }),
      );
      await Promise.all(
        Array.from({ length: 12 }, () => seedTask(h, app.guid, { state: 'SUCCEEDED' })).concat(
          tasks.slice(0, 6).map((t) =>
            h.db
              .deleteFrom('tasks')
              .where('id', '=', t.id)
              .execute()
              .then(() => undefined as any),
          ),
        ),
      );
      await assertExact(h, 'concurrent writes');
    });

    test('the counters are tables of the schema, with their triggers', async () => {
      const counts = await sql<{ n: number }>`select count(*) as n from task_counts`.execute(h.db);
      assert.ok(Number(counts.rows[0].n) > 0);
    });
  },
  { runnerSlots: 0 },
);
