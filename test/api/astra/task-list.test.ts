import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describeEachStore, type Harness } from '../../support/harness.js';
import { appInNewSpace, seedTask, seedTasks } from '../../support/tasks.js';
import { assertProblem, astraGet, invalidParamNames, tasksPath } from './helpers.js';

/** Many tasks of one app in one statement per batch, created a millisecond apart from `start`. */
async function bulkTasks(h: Harness, appGuid: string, count: number, start = Date.parse('2024-01-01T00:00:00.000Z')) {
  const app = await h.db
    .selectFrom('apps')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .select(['apps.id', 'apps.space_id', 'spaces.organization_id'])
    .where('apps.guid', '=', appGuid)
    .executeTakeFirstOrThrow();
  for (let from = 0; from < count; from += 200) {
    const rows = Array.from({ length: Math.min(200, count - from) }, (_, k) => {
      const i = from + k;
      const at = new Date(start + i).toISOString();
      return {
        guid: randomUUID(),
        app_id: app.id,
        space_id: app.space_id,
        organization_id: app.organization_id,
        sequence_id: i + 1,
        name: `bulk-${i}`,
        command: 'true',
        user: null,
        state: 'SUCCEEDED',
        memory_in_mb: 64,
        disk_in_mb: 64,
        log_rate_limit: -1,
        droplet_guid: randomUUID(),
        failure_reason: null,
        created_at: at,
        updated_at: at,
      };
    });
    await h.db.insertInto('tasks').values(rows).execute();
  }
}

describeEachStore(
  'GET /accounts/:account_id/core/v1/tasks',
  (h) => {
    test("lists the account's tasks as an astra-tasks 1.1 collection, oldest first", async () => {
      const { org, app } = await appInNewSpace(h);
      const [b, a] = await seedTasks(h, app.guid, [{ created_at: '2024-02-02T00:00:00.000Z' }, { created_at: '2024-02-01T00:00:00.000Z' }]);
      const res = await astraGet(h, tasksPath(org.guid));
      assert.equal(res.status, 200, res.text);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.deepEqual(Object.keys(res.body), ['type', 'version', 'items', 'metadata']);
      assert.equal(res.body.type, 'application/astra-tasks');
      assert.equal(res.body.version, '1.1');
      assert.deepEqual(res.body.metadata, {});
      assert.deepEqual(
        res.body.items.map((t: any) => t.id),
        [a.guid, b.guid],
      );
      assert.equal(res.body.items[0].type, 'application/astra-task');
      assert.equal(res.body.items[0].description, `Task ${a.name} (#2) of app ${app.name}`);
    });

    test('tasks created in the same millisecond come in id order', async () => {
      const { org, app } = await appInNewSpace(h);
      const same = '2024-02-01T00:00:00.000Z';
      const tasks = await seedTasks(h, app.guid, [{ created_at: same }, { created_at: same }, { created_at: same }]);
      const res = await astraGet(h, tasksPath(org.guid));
      assert.deepEqual(
        res.body.items.map((t: any) => t.id),
        tasks.map((t) => t.guid),
      );
    });

    test('an account without tasks is an empty list', async () => {
      const { org } = await appInNewSpace(h);
      const res = await astraGet(h, tasksPath(org.guid, 'count=true'));
      assert.deepEqual(res.body.items, []);
      assert.deepEqual(res.body.metadata, { count: 0 });
    });

    test('include answers each task as an array of the named fields, in the order named, null where absent', async () => {
      const { org, app } = await appInNewSpace(h);
      const task = await seedTask(h, app.guid, { state: 'PENDING', created_by: null });
      const res = await astraGet(h, tasksPath(org.guid, 'include=state,id,percentDone,orderHint,resourceCollectionURI,id'));
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.items, [['notStarted', task.guid, null, null, [`/v3/apps/${app.guid}/tasks`], task.guid]]);
      const meta = await astraGet(h, tasksPath(org.guid, 'include=metadata'));
      assert.deepEqual(Object.keys(meta.body.items[0][0]), ['labels', 'creationTimestamp', 'modificationTimestamp', 'createdBy']);
    });

    test('include of an unknown or malformed field is problem 5 naming include', async () => {
      const { org } = await appInNewSpace(h);
      for (const include of ['id,bogus', 'id, name', 'metadata.labels', '', 'id,,name']) {
        const res = await astraGet(h, tasksPath(org.guid, `include=${encodeURIComponent(include)}`));
        assertProblem(res, 5);
        assert.deepEqual(invalidParamNames(res), ['include'], include);
        assert.equal(typeof res.body.invalidParams[0].reason, 'string');
      }
    });

    test('limit caps the items; 0, negatives and non-digits are problem 5', async () => {
      const { org, app } = await appInNewSpace(h);
      const tasks = await seedTasks(h, app.guid, [{}, {}, {}]);
      const res = await astraGet(h, tasksPath(org.guid, 'limit=2'));
      assert.deepEqual(
        res.body.items.map((t: any) => t.id),
        tasks.slice(0, 2).map((t) => t.guid),
      );
      assert.equal(typeof res.body.metadata.continue, 'string');
      const all = await astraGet(h, tasksPath(org.guid, 'limit=3'));
      assert.equal(all.body.items.length, 3);
      assert.deepEqual(all.body.metadata, {}, 'the last page has no continue');
      const huge = await astraGet(h, tasksPath(org.guid, 'limit=99999999999999999999'));
      assert.equal(huge.body.items.length, 3);
      for (const limit of ['0', '-1', 'ten', '1.5', '01', '']) {
        const bad = await astraGet(h, tasksPath(org.guid, `limit=${limit}`));
        assertProblem(bad, 5);
        assert.deepEqual(invalidParamNames(bad), ['limit']);
      }
    });

    test('count=true adds every match before limit; any other count is problem 5', async () => {
      const { org, app } = await appInNewSpace(h);
      await seedTasks(h, app.guid, [{}, {}, {}, {}]);
      const res = await astraGet(h, tasksPath(org.guid, 'count=true&limit=1'));
      assert.equal(res.body.items.length, 1);
      assert.equal(res.body.metadata.count, 4);
      const next = await astraGet(h, tasksPath(org.guid, `count=true&limit=1&continue=${encodeURIComponent(res.body.metadata.continue)}`));
      assert.equal(next.body.metadata.count, 4, 'the count stays the total on later pages');
      assertProblem(await astraGet(h, tasksPath(org.guid, 'count=false')), 5);
      assertProblem(await astraGet(h, tasksPath(org.guid, 'count=TRUE')), 5);
    });

    test('any other parameter is problem 6, each named in invalidParams', async () => {
      const { org } = await appInNewSpace(h);
      const res = await astraGet(h, tasksPath(org.guid, 'orderBy=name&skip=1&limit=1'));
      assertProblem(res, 6);
      assert.deepEqual(invalidParamNames(res).sort(), ['orderBy', 'skip']);
    });

    test('a parameter other than filter given twice is problem 5', async () => {
      const { org } = await appInNewSpace(h);
      for (const q of ['limit=1&limit=2', 'include=id&include=name', 'count=true&count=true', 'continue=a&continue=b']) {
        const res = await astraGet(h, tasksPath(org.guid, q));
        assertProblem(res, 5);
        assert.equal(invalidParamNames(res).length, 1, q);
      }
    });

    test('without a limit every match is answered, read in bounded pages and streamed', async () => {
      const { org, app } = await appInNewSpace(h);
      await bulkTasks(h, app.guid, 1234);
      const res = await astraGet(h, tasksPath(org.guid, 'include=summary&count=true'));
      assert.equal(res.status, 200, res.text.slice(0, 300));
      assert.equal(res.body.items.length, 1234);
      assert.deepEqual(res.body.items.slice(0, 2), [['bulk-0'], ['bulk-1']]);
      assert.deepEqual(res.body.items.at(-1), ['bulk-1233']);
      assert.deepEqual(res.body.metadata, { count: 1234 });
      const limited = await astraGet(h, tasksPath(org.guid, 'include=summary&limit=1100'));
      assert.equal(limited.body.items.length, 1100, 'a limit above the internal page size is honoured exactly');
      assert.deepEqual(limited.body.items.at(-1), ['bulk-1099']);
      const rest = await astraGet(
        h,
        tasksPath(org.guid, `include=summary&limit=1100&continue=${encodeURIComponent(limited.body.metadata.continue)}`),
      );
      assert.deepEqual(
        rest.body.items.map((i: string[]) => i[0]),
        Array.from({ length: 134 }, (_, k) => `bulk-${1100 + k}`),
      );
      assert.equal(rest.body.metadata.continue, undefined);
    });
  },
  { runnerSlots: 0 },
);
