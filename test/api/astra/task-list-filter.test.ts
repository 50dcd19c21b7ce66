import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore, type Harness } from '../../support/harness.js';
import { appInNewSpace, labelTask, seedTask } from '../../support/tasks.js';
import { assertProblem, astraGet, invalidParamNames, tasksPath } from './helpers.js';

/** One account with a task of every kind, named for what sets it apart. */
async function fixture(h: Harness) {
  const { org, space, app } = await appInNewSpace(h);
  const other = await h.app(space.guid, 'other, app');
  const t = (minute: number, s = 0) => `2024-06-01T10:${String(minute).padStart(2, '0')}:${String(s).padStart(2, '0')}.500Z`;
  const seed = (appGuid: string, name: string, minute: number, o: Parameters<typeof seedTask>[2] = {}) =>
    seedTask(h, appGuid, { name, created_at: t(minute), updated_at: t(minute, 30), created_by: h.admin.guid, ...o });
  const pending = await seed(app.guid, 'pending', 1, { state: 'PENDING' });
  const running9 = await seed(app.guid, 'running9', 2, { state: 'RUNNING', progress_percent: 9, started_at: t(2, 1) });
  const paused10 = await seed(app.guid, 'paused10', 3, { state: 'PAUSED', progress_percent: 10, started_at: t(3, 1) });
  const done = await seed(app.guid, 'done', 4, { state: 'SUCCEEDED', progress_percent: 50, started_at: t(4, 1), finished_at: t(5) });
  const failed = await seed(app.guid, 'failed', 5, { state: 'FAILED', failure_reason: 'Exited with status 3', finished_at: t(6) });
  const cancelled = await seed(app.guid, 'cancelled', 6, {
    state: 'FAILED',
    failure_reason: 'task was cancelled',
    cancel_requested_at: t(7),
    finished_at: t(8),
  });
  const cancelling = await seed(app.guid, 'cancelling', 7, { state: 'CANCELING', cancel_requested_at: t(9) });
  const sub = await seed(other.guid, 'sub, task', 8, { state: 'RUNNING', parent_task_guid: pending.guid, created_by: null });
  await labelTask(h, done, { env: 'prod' });
  await labelTask(h, sub, { 'example.com/tier': 'gold' });
  // Another account's task never appears, whatever the filter.
  const elsewhere = await appInNewSpace(h);
  await seedTask(h, elsewhere.app.guid, { name: 'elsewhere', state: 'PENDING', created_at: t(1) });
  return { org, app, other, t, tasks: { pending, running9, paused10, done, failed, cancelled, cancelling, sub } };
}

describeEachStore(
  'GET /accounts/:account_id/core/v1/tasks?filter',
  (h) => {
    let data: Promise<Awaited<ReturnType<typeof fixture>>> | undefined;
    const setup = () => (data ??= fixture(h));

    /** The names (summaries) of the tasks the filters select, in list order. */
    async function names(...filters: string[]): Promise<string[]> {
      const { org } = await setup();
      const query = [...filters.map((f) => `filter=${encodeURIComponent(f)}`), 'include=summary'].join('&');
      const res = await astraGet(h, tasksPath(org.guid, query));
      assert.equal(res.status, 200, `${filters.join(' & ')}: ${res.text}`);
      return res.body.items.map((i: string[]) => i[0]);
    }

    test('state filters on the Astra state, cancelled and failed told apart', async () => {
      assert.deepEqual(await names("state eq 'notStarted'"), ['pending']);
      assert.deepEqual(await names("state eq 'running'"), ['running9', 'sub, task']);
      assert.deepEqual(await names("state eq 'paused'"), ['paused10']);
      assert.deepEqual(await names("state eq 'completed'"), ['done']);
      assert.deepEqual(await names("state eq 'failed'"), ['failed']);
      assert.deepEqual(await names("state eq 'cancelled'"), ['cancelled']);
      assert.deepEqual(await names("state eq 'cancelling'"), ['cancelling']);
      assert.deepEqual(await names("state in 'cancel'"), ['cancelled', 'cancelling']);
      assert.deepEqual(await names("state lt 'completed'"), ['cancelled', 'cancelling']);
      assert.deepEqual(await names("state eq 'Running'"), []);
    });

    test('comma-separated conditions and repeated filter parameters are all AND-ed', async () => {
      assert.deepEqual(await names("state eq 'running',percentDone eq '9'"), ['running9']);
      assert.deepEqual(await names("state eq 'running'", "name eq 'taskd.subtask'"), ['sub, task']);
      assert.deepEqual(await names("state eq 'running', state eq 'failed'"), []);
    });

    test('a comma inside a quoted value is part of the value', async () => {
      assert.deepEqual(await names("summary eq 'sub, task'"), ['sub, task']);
      assert.deepEqual(await names("description in 'of app other, app'"), ['sub, task']);
    });

    test('percentDone compares as a number, and is 100 for a completed task', async () => {
      assert.deepEqual(await names("percentDone gt '9'"), ['paused10', 'done']);
      assert.deepEqual(await names("percentDone eq '100'"), ['done']);
      assert.deepEqual(await names("percentDone lte '9.5'"), ['running9']);
      assert.deepEqual(await names("percentDone gte '9.5'"), ['paused10', 'done']);
      assert.deepEqual(await names("percentDone in '10'"), ['paused10', 'done']);
    });

    test('times compare as instants, whatever their fraction', async () => {
      assert.deepEqual(await names("metadata.creationTimestamp lt '2024-06-01T10:02:00.5Z'"), ['pending']);
      assert.deepEqual(await names("metadata.creationTimestamp lte '2024-06-01T10:02:00.5Z'"), ['pending', 'running9']);
      assert.deepEqual(await names("metadata.creationTimestamp eq '2024-06-01T10:02:00.500000000Z'"), ['running9']);
      assert.deepEqual(await names("metadata.creationTimestamp gt '2024-06-01T10:07:00Z'"), ['cancelling', 'sub, task']);
      assert.deepEqual(await names("metadata.creationTimestamp gt '2024-06-01T10:07:00.5001Z'"), ['sub, task']);
      assert.deepEqual(await names("metadata.creationTimestamp lt '2024-06-01T10:02:00.5001Z'"), ['pending', 'running9']);
      assert.deepEqual(await names("metadata.modificationTimestamp gte '2024-06-01T10:08:30.5Z'"), ['sub, task']);
      assert.deepEqual(await names("metadata.creationTimestamp in '10:03'"), ['paused10']);
    });

    test('startTime, endTime and cancelTime filter tasks that have them', async () => {
      assert.deepEqual(await names("startTime gte '2024-06-01T10:03:00Z'"), ['paused10', 'done']);
      assert.deepEqual(await names("endTime lt '2024-06-01T10:07:00Z'"), ['done', 'failed']);
      assert.deepEqual(await names("cancelTime gt '2024-06-01T10:00:00Z'"), ['cancelled', 'cancelling']);
      assert.deepEqual(await names("cancelTime eq '2024-06-01T10:07:00.500Z'"), ['cancelled']);
    });

    test('ids and who: id, parentTaskID, userID, resourceID, metadata.createdBy', async () => {
      const { app, other, tasks } = await setup();
      assert.deepEqual(await names(`id eq '${tasks.done.guid.toUpperCase()}'`), ['done']);
      assert.deepEqual(await names(`parentTaskID eq '${tasks.pending.guid}'`), ['sub, task']);
      assert.deepEqual(await names(`resourceID eq '${other.guid}'`), ['sub, task']);
      assert.equal((await names(`resourceID eq '${app.guid}'`)).length, 7);
      assert.equal((await names(`userID eq '${h.admin.guid}'`)).length, 7);
      assert.deepEqual(await names("metadata.createdBy eq '00000000-0000-0000-0000-000000000000'"), ['sub, task']);
      assert.equal((await names(`metadata.createdBy eq '${h.admin.guid}'`)).length, 7);
    });

    test('composed texts: resourceURI, resourceCollectionURI[*] and description', async () => {
      const { other, app } = await setup();
      assert.deepEqual(await names(`resourceURI eq '/v3/apps/${other.guid}'`), ['sub, task']);
      assert.deepEqual(await names(`resourceCollectionURI[*] eq '/v3/apps/${other.guid}/tasks'`), ['sub, task']);
      assert.deepEqual(await names(`resourceCollectionURI in '${other.guid.slice(30)}/tas'`), ['sub, task']);
      assert.equal((await names("resourceURI in 'v3/apps/'")).length, 8);
      assert.deepEqual(await names(`resourceURI gt '/v3/apps/${other.guid}'`).then((n) => n.length), other.guid > app.guid ? 0 : 7);
      assert.equal((await names("resourceURI lt '/v4'")).length, 8);
      assert.deepEqual(await names(`description eq 'Task done (#4) of app ${app.name}'`), ['done']);
      assert.deepEqual(await names(`description eq 'Task done (#5) of app ${app.name}'`), []);
      assert.deepEqual(await names("description in 'sk sub, task (#1) of app other,'"), ['sub, task']);
      assert.deepEqual(await names("description in 'cancel'"), ['cancelled', 'cancelling']);
    });

    test('constants and kinds: type, version, service, name, stateTransitions, stateDetails, labels', async () => {
      assert.equal((await names("type eq 'application/astra-task'")).length, 8);
      assert.deepEqual(await names("version eq '1.0'"), []);
      assert.equal((await names("service eq 'taskd'")).length, 8);
      assert.deepEqual(await names("name eq 'taskd.subtask'"), ['sub, task']);
      assert.equal((await names("name in 'task'")).length, 8);
      assert.equal((await names("stateTransitions[*].from eq 'paused'")).length, 8);
      assert.deepEqual(await names("stateDetails[*].detail in 'status 3'"), ['failed']);
      assert.deepEqual(await names("stateDetails[*].title eq 'Task failed'"), ['failed']);
      assert.deepEqual(await names("metadata.labels[*].name eq 'env'"), ['done']);
      assert.deepEqual(await names("metadata.labels.name eq 'example.com/tier'"), ['sub, task']);
      assert.deepEqual(await names("orderHint gte '0'"), [], 'no task has an orderHint');
    });

    test('summary undoes the padding of short names', async () => {
      const { org, app } = await setup();
      await seedTask(h, app.guid, { name: 'ab', created_at: '2030-01-01T00:00:00.000Z' });
      assert.deepEqual(await names("summary eq 'ab.'"), ['ab.']);
      assert.deepEqual(await names("summary eq 'ab'"), []);
      await h.db
        .deleteFrom('tasks')
        .where('name', '=', 'ab')
        .where(
          'organization_id',
          '=',
          (await h.db.selectFrom('organizations').select('id').where('guid', '=', org.guid).executeTakeFirstOrThrow()).id,
        )
        .execute();
    });

    test('malformed filters are problem 5 naming filter', async () => {
      const { org } = await setup();
      const bad = [
        "bogus eq 'x'",
        "state equals 'x'",
        'state eq running',
        "state eq ''",
        "state  'x'",
        "state eq 'a\tb'",
        "metadata.creationTimestamp gt '2024-06-01'",
        "metadata.creationTimestamp gt '2024-02-30T00:00:00Z'",
        "percentDone gt 'ten'",
        "description lt 'Task'",
        "resourceCollectionURI gt 'a'",
        "metadata.labels.name in 'env'",
        "metadata.labels.value eq 'prod'",
        "metadata eq 'x'",
        "state eq 'x',",
        "state.eq 'x'",
        "stateDetails eq 'x'",
      ];
      for (const filter of bad) {
        const res = await astraGet(h, tasksPath(org.guid, `filter=${encodeURIComponent(filter)}`));
        assertProblem(res, 5);
        assert.deepEqual(invalidParamNames(res), ['filter'], filter);
      }
    });
  },
  { runnerSlots: 0 },
);
