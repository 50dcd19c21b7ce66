// POST /task/list (specs/dialects.md §3.1, §3.3, §5 Dbvisit): the task object, its states and
// times, newest first, configuration_id and show_hidden, and exactly the tasks the CF API would
// show the caller.
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TASK_QUERY_PAGE_SIZE } from '../../../src/fetchers/task-query.js';
import { describeEachStore } from '../../support/harness.js';
import { appInNewSpace, seedTask, seedTasks } from '../../support/tasks.js';
import { adminBearer, appId, bearerOf, listTasks, RFC3339_NANO, SEEDED_ONLY } from './helpers.js';

const TASK_FIELDS = [
  'configuration_id',
  'configuration_name',
  'dismissed_by',
  'finished',
  'hidden_by',
  'messages',
  'performed_by',
  'started',
  'state',
  'task_id',
  'title',
  'updated',
];

// One taskd per store for these suites: each test makes what it needs, and none needs a fresh
// taskd (a start costs a second or two on a loaded machine).
describeEachStore(
  'Dbvisit list',
  (h) => {
    describe('Dbvisit /task/list', () => {
      test('a task in full: configuration, ids, title, creator, times and messages', async () => {
        const { app } = await appInNewSpace(h);
        const task = await seedTask(h, app.guid, {
          name: 'nightly-backup',
          state: 'SUCCEEDED',
          created_by: h.admin.guid,
          started_at: '2024-07-31T13:57:42.123Z',
          finished_at: '2024-07-31T13:58:00.500Z',
          updated_at: '2024-07-31T13:58:00.501Z',
          message_count: 2,
        });
        await h.db
          .insertInto('task_messages')
          .values([
            { task_id: task.id, seq: 1, time: '2024-07-31T13:57:42.200Z', source: 'runner', text: 'started' },
            { task_id: task.id, seq: 2, time: '2024-07-31T13:58:00.400Z', source: 'task', text: 'copied 3 files' },
          ])
          .execute();
        const configuration = await appId(h, app.guid);
        const tasks = await listTasks(h, adminBearer(h), { configuration_id: configuration });
        assert.deepEqual(tasks, [
          {
            configuration_id: configuration,
            configuration_name: app.name,
            task_id: task.id,
            hidden_by: '',
            dismissed_by: '',
            finished: '2024-07-31T13:58:00.500000000Z',
            messages: [
              { message: 'started', time: '2024-07-31T13:57:42.200000000Z' },
              { message: 'copied 3 files', time: '2024-07-31T13:58:00.400000000Z' },
            ],
            performed_by: 'admin',
            started: '2024-07-31T13:57:42.123000000Z',
            state: 'End',
            title: 'nightly-backup',
            updated: '2024-07-31T13:58:00.501000000Z',
          },
        ]);
        assert.deepEqual(Object.keys(tasks[0]).sort(), TASK_FIELDS);
      });

      test('states: unfinished ones are In Progress, then End and Failed; unfinished tasks have no finish time', async () => {
        const { app } = await appInNewSpace(h);
        const started = '2024-01-01T00:00:00.000Z';
        const rows = await seedTasks(h, app.guid, [
          { state: 'PENDING' },
          { state: 'RUNNING', started_at: started },
          { state: 'PAUSING', started_at: started },
          { state: 'PAUSED', started_at: started },
          { state: 'CANCELING', started_at: started },
          { state: 'SUCCEEDED', started_at: started, finished_at: '2024-01-01T00:01:00.000Z' },
          { state: 'FAILED', started_at: started, finished_at: '2024-01-01T00:01:00.000Z', failure_reason: 'Exited with status 1' },
          { state: 'FAILED', finished_at: '2024-01-01T00:01:00.000Z', failure_reason: 'task was cancelled' },
        ]);
        const tasks = await listTasks(h, adminBearer(h), { configuration_id: await appId(h, app.guid) });
        const byId = new Map(tasks.map((t) => [t.task_id, t]));
        assert.deepEqual(
          rows.map((r) => byId.get(r.id).state),
          ['In Progress', 'In Progress', 'In Progress', 'In Progress', 'In Progress', 'End', 'Failed', 'Failed'],
        );
        assert.deepEqual(
          rows.map((r) => byId.get(r.id).finished === ''),
          [true, true, true, true, true, false, false, false],
        );
        assert.equal(byId.get(rows[0].id).started, '', 'a task that never started has no start time');
        assert.equal(byId.get(rows[7].id).started, '', 'nor has one cancelled while waiting');
        for (const t of tasks) {
          assert.match(t.updated, RFC3339_NANO);
          if (t.started) assert.match(t.started, RFC3339_NANO);
          if (t.finished) assert.match(t.finished, RFC3339_NANO);
        }
      });

      test('a finished task without a recorded finish time shows its last update as finished', async () => {
        const { app } = await appInNewSpace(h);
        await seedTask(h, app.guid, { state: 'FAILED', failure_reason: 'x', updated_at: '2024-02-02T02:02:02.020Z' });
        const [task] = await listTasks(h, adminBearer(h), { configuration_id: await appId(h, app.guid) });
        assert.equal(task.finished, '2024-02-02T02:02:02.020000000Z');
      });

      test('newest first: task_id descending, across configurations', async () => {
        const a = await appInNewSpace(h);
        const b = await appInNewSpace(h);
        const first = await seedTask(h, a.app.guid);
        const second = await seedTask(h, b.app.guid);
        const third = await seedTask(h, a.app.guid);
        const ids = (await listTasks(h, adminBearer(h))).map((t) => t.task_id);
        assert.ok(
          ids.every((id, i) => i === 0 || ids[i - 1] > id),
          'strictly descending',
        );
        assert.deepEqual(
          ids.filter((id) => [first.id, second.id, third.id].includes(id)),
          [third.id, second.id, first.id],
        );
      });

      test('configuration_id lists one app; 0 or absent lists every app', async () => {
        const a = await appInNewSpace(h);
        const b = await appInNewSpace(h);
        const [inA] = await seedTasks(h, a.app.guid, [{}]);
        const [inB] = await seedTasks(h, b.app.guid, [{}]);
        assert.deepEqual(
          (await listTasks(h, adminBearer(h), { configuration_id: await appId(h, a.app.guid) })).map((t) => t.task_id),
          [inA.id],
        );
        for (const params of [{}, { configuration_id: 0 }]) {
          const ids = (await listTasks(h, adminBearer(h), params)).map((t) => t.task_id);
          assert.ok(ids.includes(inA.id) && ids.includes(inB.id), JSON.stringify(params));
        }
      });

      test('dismissed tasks are hidden unless show_hidden, and then are Dismissed with who dismissed them', async () => {
        const { app } = await appInNewSpace(h);
        const dismisser = await h.user();
        const [kept, dismissed] = await seedTasks(h, app.guid, [
          { state: 'SUCCEEDED', finished_at: '2024-01-01T00:00:00.000Z' },
          {
            state: 'FAILED',
            failure_reason: 'x',
            finished_at: '2024-01-01T00:00:00.000Z',
            dismissed_by: dismisser.guid,
            dismissed_at: '2024-01-02T00:00:00.000Z',
          },
        ]);
        const configuration_id = await appId(h, app.guid);
        assert.deepEqual(
          (await listTasks(h, adminBearer(h), { configuration_id })).map((t) => t.task_id),
          [kept.id],
        );
        assert.deepEqual(
          (await listTasks(h, adminBearer(h), { configuration_id, show_hidden: false })).map((t) => t.task_id),
          [kept.id],
        );
        const all = await listTasks(h, adminBearer(h), { configuration_id, show_hidden: true });
        assert.deepEqual(
          all.map((t) => [t.task_id, t.state, t.hidden_by, t.dismissed_by]),
          [
            [dismissed.id, 'Dismissed', dismisser.username, dismisser.username],
            [kept.id, 'End', '', ''],
          ],
        );
      });

      test('a list longer than the pages it is read in comes whole, newest first, each task once', async () => {
        const { app } = await appInNewSpace(h);
        const owner = await h.db
          .selectFrom('apps')
          .innerJoin('spaces', 'spaces.id', 'apps.space_id')
          .select(['apps.id', 'apps.space_id', 'spaces.organization_id'])
          .where('apps.guid', '=', app.guid)
          .executeTakeFirstOrThrow();
        const now = new Date().toISOString();
        const many = TASK_QUERY_PAGE_SIZE * 2 + 7;
        await h.db
          .insertInto('tasks')
          .values(
            Array.from({ length: many }, (_, i) => ({
              guid: randomUUID(),
              app_id: owner.id,
              space_id: owner.space_id,
              organization_id: owner.organization_id,
              sequence_id: i + 1,
              name: `bulk-${i}`,
              command: 'true',
              user: null,
              state: 'SUCCEEDED',
              memory_in_mb: 1,
              disk_in_mb: 1,
              log_rate_limit: -1,
              droplet_guid: randomUUID(),
              failure_reason: null,
              created_at: now,
              updated_at: now,
            })),
          )
          .execute();
        const tasks = await listTasks(h, adminBearer(h), { configuration_id: Number(owner.id) });
        assert.equal(tasks.length, many);
        assert.equal(new Set(tasks.map((t) => t.task_id)).size, many, 'no task twice');
        assert.deepEqual(
          tasks.map((t) => t.title),
          Array.from({ length: many }, (_, i) => `bulk-${many - 1 - i}`),
        );
      });

      test('a task whose creator is unknown shows an empty performed_by', async () => {
        const { app } = await appInNewSpace(h);
        await seedTask(h, app.guid, { created_by: null });
        const [task] = await listTasks(h, adminBearer(h), { configuration_id: await appId(h, app.guid) });
        assert.equal(task.performed_by, '');
      });
    });
    describe('Dbvisit /task/list visibility', () => {
      test('a user sees exactly the tasks of their spaces, as the CF API shows them', async () => {
        const mine = await appInNewSpace(h);
        const theirs = await appInNewSpace(h);
        const developer = await h.user();
        const auditor = await h.user();
        const stranger = await h.user();
        await h.role('space_developer', developer.guid, { space: mine.space.guid });
        await h.role('space_auditor', auditor.guid, { space: mine.space.guid });
        const myTasks = await seedTasks(h, mine.app.guid, [{}, { state: 'SUCCEEDED' }]);
        await seedTasks(h, theirs.app.guid, [{}, {}]);

        for (const [who, actor] of [
          ['developer', developer],
          ['auditor', auditor],
        ] as const) {
          const ids = (await listTasks(h, bearerOf(actor))).map((t) => t.task_id);
          assert.deepEqual(ids, myTasks.map((t) => t.id).reverse(), `${who} sees their space's tasks only`);
          const cf = await h.get('/v3/tasks', actor.token);
          const guids = await h.db.selectFrom('tasks').select('guid').where('id', 'in', ids).execute();
          assert.deepEqual(
            guids.map((g) => g.guid).sort(),
            cf.body.resources.map((t: { guid: string }) => t.guid).sort(),
            `${who}: the same tasks as CF`,
          );
        }
        assert.deepEqual(await listTasks(h, bearerOf(stranger)), [], 'a user without roles sees nothing');
        assert.deepEqual(
          await listTasks(h, `Bearer ${stranger.token}`, { configuration_id: await appId(h, theirs.app.guid) }),
          [],
          "nor another space's app by its id",
        );
      });

      test('an org manager sees the tasks of every space in the org; an admin sees all', async () => {
        const { org, app } = await appInNewSpace(h);
        const otherSpace = await h.space(org.guid);
        const otherApp = await h.app(otherSpace.guid);
        const manager = await h.user();
        await h.role('organization_manager', manager.guid, { org: org.guid });
        const a = await seedTask(h, app.guid);
        const b = await seedTask(h, otherApp.guid);
        const outside = await seedTask(h, (await appInNewSpace(h)).app.guid);
        assert.deepEqual(
          (await listTasks(h, bearerOf(manager))).map((t) => t.task_id),
          [b.id, a.id],
        );
        const adminIds = (await listTasks(h, adminBearer(h))).map((t) => t.task_id);
        assert.ok([a.id, b.id, outside.id].every((id) => adminIds.includes(id)));
      });

      test('a global auditor reads every task', async () => {
        const { app } = await appInNewSpace(h);
        const task = await seedTask(h, app.guid);
        const auditor = await h.user(['cloud_controller.global_auditor']);
        assert.ok((await listTasks(h, bearerOf(auditor))).some((t) => t.task_id === task.id));
      });
    });
  },
  SEEDED_ONLY,
);
