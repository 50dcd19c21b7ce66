// The shared task query behind the lists of every dialect: every condition operator, the read
// scope, keyset paging (no task lost or repeated, whatever the order and its ties and nulls),
// CF's page numbers, counts, labels and the latest message, on both stores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Scope } from '../../src/auth/permissions.js';
import { ApiError } from '../../src/core/errors.js';
import type { TaskCondition, TaskOrder, TaskQuery } from '../../src/core/task-query.js';
import { eachTaskPage, queryTasks, readableTask, type TaskView } from '../../src/fetchers/task-query.js';
import type { TaskRow } from '../../src/store/schema.js';
import { describeEachStore, type Harness } from '../support/harness.js';
import { appInNewSpace, labelTask, seedTasks } from '../support/tasks.js';

const ALL: Scope = { all: true };

/** Ids of the app's tasks matching the conditions, in id order. */
async function matchingIds(h: Harness, appGuid: string, ...where: TaskCondition[]): Promise<number[]> {
  const page = await queryTasks(h.db, ALL, { where: [{ field: 'app_guid', op: 'eq', value: appGuid }, ...where], order: [] });
  return page.rows.map((r) => r.id);
}

const idsOf = (tasks: TaskRow[]) => tasks.map((t) => t.id);

/** Walks every page of the query; returns the ids in the order the pages gave them. */
async function walk(h: Harness, scope: Scope, query: TaskQuery): Promise<number[]> {
  const seen: number[] = [];
  let after = query.after;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await queryTasks(h.db, scope, { ...query, after });
    assert.ok(page.rows.length <= query.limit!, 'a page holds at most the limit');
    seen.push(...page.rows.map((r) => r.id));
    if (!page.next) return seen;
    assert.equal(page.rows.length, query.limit, 'only the last page is short');
    after = page.next;
  }
  throw new Error('paging did not end');
}

async function spaceAndOrgIds(h: Harness, spaceGuid: string) {
  const space = await h.db.selectFrom('spaces').select(['id', 'organization_id']).where('guid', '=', spaceGuid).executeTakeFirstOrThrow();
  return { spaceId: space.id, organizationId: space.organization_id };
}

// No runner on the node: it would claim or finish seeded rows while a test reads them.
describeEachStore(
  'task query',
  (h) => {
    test('eq and ne on values and on null', async () => {
      const { app } = await appInNewSpace(h);
      const [ok, failed, running] = await seedTasks(h, app.guid, [
        { state: 'SUCCEEDED', exit_status: 0 },
        { state: 'FAILED', exit_status: 1, failure_reason: 'boom' },
        { state: 'RUNNING' },
      ]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'state', op: 'eq', value: 'FAILED' }), [failed.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'state', op: 'ne', value: 'FAILED' }), [ok.id, running.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'exit_status', op: 'eq', value: null }), [running.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'exit_status', op: 'ne', value: null }), [ok.id, failed.id]);
      // A task without an exit status does not have status 1.
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'exit_status', op: 'ne', value: 1 }), [ok.id, running.id]);
      assert.deepEqual(
        await matchingIds(h, app.guid, { field: 'exit_status', op: 'eq', value: '0' }),
        [ok.id],
        'a numeric string compares as a number',
      );
      assert.deepEqual(
        await matchingIds(h, app.guid, { field: 'exit_status', op: 'eq', value: 'zero' }),
        [],
        'no integer: no match, no error',
      );
      assert.deepEqual(
        await matchingIds(h, app.guid, { field: 'sequence_id', op: 'eq', value: 2 ** 40 }),
        [],
        'beyond a 32-bit column: no match, no error',
      );
    });

    test('ordered comparisons on numbers and timestamps; a null never compares', async () => {
      const { app } = await appInNewSpace(h);
      const [a, b, c] = await seedTasks(h, app.guid, [
        { memory_in_mb: 128, created_at: '2024-01-01T00:00:00.000Z', started_at: '2024-01-01T00:00:01.000Z' },
        { memory_in_mb: 256, created_at: '2024-01-02T00:00:00.000Z' },
        { memory_in_mb: 512, created_at: '2024-01-03T00:00:00.000Z', started_at: '2024-01-03T00:00:01.000Z' },
      ]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'memory_in_mb', op: 'lt', value: 256 }), [a.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'memory_in_mb', op: 'lte', value: 256 }), [a.id, b.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'memory_in_mb', op: 'gt', value: 256 }), [c.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'memory_in_mb', op: 'gte', value: 256 }), [b.id, c.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'created_at', op: 'gte', value: '2024-01-02T00:00:00.000Z' }), [b.id, c.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'started_at', op: 'gt', value: '2000-01-01T00:00:00.000Z' }), [a.id, c.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'started_at', op: 'lt', value: null }), []);
      assert.deepEqual(
        await matchingIds(h, app.guid, { op: 'not', condition: { field: 'started_at', op: 'gt', value: '2000-01-01T00:00:00.000Z' } }),
        [b.id],
        'not is the exact inverse',
      );
    });

    test('in on text and integer fields; an empty list matches nothing', async () => {
      const { app } = await appInNewSpace(h);
      const [a, b, c] = await seedTasks(h, app.guid, [{ name: 'alpha' }, { name: 'beta' }, { name: 'gamma' }]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'name', op: 'in', values: ['gamma', 'alpha', 'delta'] }), [a.id, c.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'sequence_id', op: 'in', values: [b.sequence_id, 'x', 99] }), [b.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'guid', op: 'in', values: [] }), []);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'name', op: 'in', values: ['GAMMA', 'Alpha'], ignoreCase: true }), [
        a.id,
        c.id,
      ]);
      assert.deepEqual(
        await matchingIds(h, app.guid, { op: 'not', condition: { field: 'name', op: 'in', values: ['BETA'], ignoreCase: true } }),
        [a.id, c.id],
      );
    });

    test('contains is a case-sensitive substring test, literal about % and _', async () => {
      const { app } = await appInNewSpace(h);
      const [percent, underscore, plain, none] = await seedTasks(h, app.guid, [
        { name: 'disk 100% full', failure_reason: 'Out Of Memory' },
        { name: 'run_backup' },
        { name: 'run-backup 100 full' },
        { name: 'other' },
      ]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'name', op: 'contains', value: '0% f' }), [percent.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'name', op: 'contains', value: 'n_b' }), [underscore.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'name', op: 'contains', value: 'backup' }), [underscore.id, plain.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'name', op: 'contains', value: 'BACKUP' }), []);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'failure_reason', op: 'contains', value: 'Memory' }), [percent.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'failure_reason', op: 'contains', value: 'memory' }), []);
      assert.deepEqual(
        await matchingIds(h, app.guid, { op: 'not', condition: { field: 'failure_reason', op: 'contains', value: 'Memory' } }),
        [underscore.id, plain.id, none.id],
      );
      assert.deepEqual(
        await matchingIds(h, app.guid, { field: 'sequence_id', op: 'contains', value: String(none.sequence_id) }),
        [none.id],
        'integers as text',
      );
    });

    test('labels: by key, by key and value, and under a prefix', async () => {
      const { app } = await appInNewSpace(h);
      const [a, b, c] = await seedTasks(h, app.guid, [{}, {}, {}]);
      await labelTask(h, a, { env: 'prod', 'example.com/team': 'blue' });
      await labelTask(h, b, { env: 'dev' });
      assert.deepEqual(await matchingIds(h, app.guid, { op: 'label', key: 'env' }), [a.id, b.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { op: 'label', key: 'env', value: 'dev' }), [b.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { op: 'label', key: 'example.com/team', value: 'blue' }), [a.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { op: 'label', key: 'team' }), [], 'a prefixed key is not its bare name');
      assert.deepEqual(await matchingIds(h, app.guid, { op: 'not', condition: { op: 'label', key: 'env' } }), [c.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { op: 'label', key: 'env', value: ['prod', 'dev'] }), [a.id, b.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { op: 'not', condition: { op: 'label', key: 'env', value: ['prod', 'qa'] } }), [
        b.id,
        c.id,
      ]);
      assert.deepEqual(await matchingIds(h, app.guid, { op: 'label', key: 'env', value: [] }), []);
    });

    test('and, or and not nest; empty and is true, empty or is false', async () => {
      const { app } = await appInNewSpace(h);
      const [a, b, c, d] = await seedTasks(h, app.guid, [
        { state: 'SUCCEEDED', memory_in_mb: 100 },
        { state: 'SUCCEEDED', memory_in_mb: 900 },
        { state: 'FAILED', memory_in_mb: 100 },
        { state: 'RUNNING', memory_in_mb: 900 },
      ]);
      const succeededOrSmall: TaskCondition = {
        op: 'or',
        conditions: [
          { field: 'state', op: 'eq', value: 'SUCCEEDED' },
          { field: 'memory_in_mb', op: 'lt', value: 500 },
        ],
      };
      assert.deepEqual(await matchingIds(h, app.guid, succeededOrSmall), [a.id, b.id, c.id]);
      assert.deepEqual(
        await matchingIds(h, app.guid, { op: 'and', conditions: [succeededOrSmall, { field: 'memory_in_mb', op: 'gt', value: 500 }] }),
        [b.id],
      );
      assert.deepEqual(await matchingIds(h, app.guid, { op: 'not', condition: succeededOrSmall }), [d.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { op: 'and', conditions: [] }), [a.id, b.id, c.id, d.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { op: 'or', conditions: [] }), []);
    });

    test('fields of the app, space, org and users are filterable and shown', async () => {
      const { org, space, app } = await appInNewSpace(h);
      const other = await h.user();
      const [mine, theirs] = await seedTasks(h, app.guid, [
        { created_by: h.admin.guid, state: 'SUCCEEDED', dismissed_by: other.guid, dismissed_at: '2024-05-01T00:00:00.000Z' },
        { created_by: other.guid },
      ]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'created_by_name', op: 'eq', value: 'admin' }), [mine.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'created_by', op: 'eq', value: other.guid }), [theirs.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'dismissed_by', op: 'ne', value: null }), [mine.id]);
      assert.deepEqual(await matchingIds(h, app.guid, { field: 'app_name', op: 'eq', value: app.name }), [mine.id, theirs.id]);
      assert.deepEqual(
        await matchingIds(
          h,
          app.guid,
          { field: 'space_guid', op: 'eq', value: space.guid },
          { field: 'organization_guid', op: 'eq', value: org.guid },
        ),
        [mine.id, theirs.id],
      );
      const page = await queryTasks(h.db, ALL, { where: [{ field: 'id', op: 'eq', value: mine.id }], order: [] });
      assert.equal(page.rows.length, 1);
      const view = page.rows[0];
      assert.deepEqual(
        {
          app: [view.app_guid, view.app_name],
          space: [view.space_guid, view.space_name],
          org: [view.organization_guid, view.organization_name],
        },
        { app: [app.guid, app.name], space: [space.guid, space.name], org: [org.guid, org.name] },
      );
      assert.equal(view.created_by_name, 'admin');
      assert.equal(view.dismissed_by_name, other.username);
      assert.equal(view.dismissed_at, '2024-05-01T00:00:00.000Z');
      assert.equal(view.guid, mine.guid);
    });

    test('the scope decides what is found: its spaces, its managed orgs, or nothing', async () => {
      const a = await appInNewSpace(h);
      const b = await appInNewSpace(h);
      const [inA] = await seedTasks(h, a.app.guid, [{ name: 'scoped-a' }]);
      const [inB] = await seedTasks(h, b.app.guid, [{ name: 'scoped-b' }]);
      const both: TaskCondition = { field: 'app_guid', op: 'in', values: [a.app.guid, b.app.guid] };
      const ids = async (scope: Scope) => (await queryTasks(h.db, scope, { where: [both], order: [], count: true })).rows.map((r) => r.id);
      const refA = await spaceAndOrgIds(h, a.space.guid);
      const refB = await spaceAndOrgIds(h, b.space.guid);
      assert.deepEqual(await ids({ all: false, spaceIds: [refA.spaceId], organizationIds: [] }), [inA.id]);
      assert.deepEqual(await ids({ all: false, spaceIds: [], organizationIds: [refB.organizationId] }), [inB.id]);
      assert.deepEqual(await ids({ all: false, spaceIds: [], organizationIds: [] }), []);
      assert.deepEqual(await ids(ALL), [inA.id, inB.id]);
      const counted = await queryTasks(
        h.db,
        { all: false, spaceIds: [refA.spaceId], organizationIds: [] },
        { where: [both], order: [], count: true },
      );
      assert.equal(counted.total, 1, 'the count is scoped too');
      assert.equal(await readableTask(h.db, { all: false, spaceIds: [refA.spaceId], organizationIds: [] }, { guid: inB.guid }), undefined);
      assert.equal(
        (await readableTask(h.db, { all: false, spaceIds: [refA.spaceId], organizationIds: [] }, { id: inA.id }))?.guid,
        inA.guid,
      );
      assert.equal((await readableTask(h.db, ALL, { guid: inB.guid }))?.id, inB.id);
      assert.equal(await readableTask(h.db, ALL, { id: 987_654_321 }), undefined);
    });

    test('keyset pages in every order lose and repeat nothing, across ties and nulls', async () => {
      const { app } = await appInNewSpace(h);
      // Three creation instants shared by many tasks (ties), started_at null on every third task.
      const tasks = await seedTasks(
        h,
        app.guid,
        Array.from({ length: 23 }, (_, i) => ({
          name: `t${i % 4}`,
          created_at: `2024-03-0${1 + (i % 3)}T00:00:00.000Z`,
          started_at: i % 3 === 0 ? null : `2024-03-0${1 + (i % 5)}T00:00:00.000Z`,
        })),
      );
      const where: TaskCondition[] = [{ field: 'app_guid', op: 'eq', value: app.guid }];
      const orders: TaskOrder[][] = [
        [],
        [{ field: 'created_at', direction: 'asc' }],
        [{ field: 'created_at', direction: 'desc' }],
        [{ field: 'started_at', direction: 'asc' }],
        [{ field: 'started_at', direction: 'desc' }],
        [
          { field: 'name', direction: 'asc' },
          { field: 'created_at', direction: 'desc' },
        ],
        [{ field: 'id', direction: 'desc' }],
      ];
      for (const order of orders) {
        const all: number[] = (await queryTasks(h.db, ALL, { where, order })).rows.map((r) => r.id);
        assert.deepEqual(
          [...all].sort((x, y) => x - y),
          idsOf(tasks),
          `one unpaged read has every task once (${JSON.stringify(order)})`,
        );
        for (const limit of [1, 4, 23, 50]) {
          assert.deepEqual(
            await walk(h, ALL, { where, order, limit }),
            all,
            `pages of ${limit} in ${JSON.stringify(order)} are the unpaged order`,
          );
        }
      }
      const byCreated = (await queryTasks(h.db, ALL, { where, order: [{ field: 'created_at', direction: 'asc' }] })).rows;
      assert.ok(
        byCreated.every(
          (r, i) =>
            i === 0 ||
            byCreated[i - 1].created_at < r.created_at ||
            (byCreated[i - 1].created_at === r.created_at && byCreated[i - 1].id < r.id),
        ),
        'ties broken by id',
      );
      const byStarted = (await queryTasks(h.db, ALL, { where, order: [{ field: 'started_at', direction: 'asc' }] })).rows;
      assert.equal(byStarted[0].started_at, null, 'nulls first ascending');
      const byStartedDesc = (await queryTasks(h.db, ALL, { where, order: [{ field: 'started_at', direction: 'desc' }] })).rows;
      assert.equal(byStartedDesc.at(-1)!.started_at, null, 'nulls last descending');
    });

    test('keyset pages by facts of the app and creator, nulls included, lose and repeat nothing', async () => {
      const { space } = await appInNewSpace(h);
      const apps = [await h.app(space.guid, h.unique('b-app')), await h.app(space.guid, h.unique('a-app'))];
      const creators = [h.admin.guid, (await h.user()).guid, null];
      for (let i = 0; i < 12; i++) await seedTasks(h, apps[i % 2].guid, [{ created_by: creators[i % 3] }]);
      const where: TaskCondition[] = [{ field: 'space_guid', op: 'eq', value: space.guid }];
      for (const order of [
        [{ field: 'app_name', direction: 'asc' }],
        [
          { field: 'created_by_name', direction: 'desc' },
          { field: 'app_guid', direction: 'asc' },
        ],
      ] as TaskOrder[][]) {
        const all: TaskView[] = (await queryTasks(h.db, ALL, { where, order })).rows;
        assert.equal(all.length, 12);
        assert.deepEqual(
          await walk(h, ALL, { where, order, limit: 5 }),
          all.map((r) => r.id),
          JSON.stringify(order),
        );
      }
      const byApp = (await queryTasks(h.db, ALL, { where, order: [{ field: 'app_name', direction: 'asc' }] })).rows.map((r) => r.app_name);
      assert.deepEqual(byApp, [...byApp].sort(), 'ordered by app name');
    });

    test('next is given only when more rows exist; count ignores limit and position', async () => {
      const { app } = await appInNewSpace(h);
      await seedTasks(h, app.guid, [{}, {}, {}, {}, {}]);
      const where: TaskCondition[] = [{ field: 'app_guid', op: 'eq', value: app.guid }];
      const first = await queryTasks(h.db, ALL, { where, order: [{ field: 'created_at', direction: 'asc' }], limit: 3, count: true });
      assert.equal(first.rows.length, 3);
      assert.equal(first.total, 5);
      assert.equal(first.next?.length, 2, 'the position is the order field then the id');
      const second = await queryTasks(h.db, ALL, {
        where,
        order: [{ field: 'created_at', direction: 'asc' }],
        limit: 3,
        after: first.next,
        count: true,
      });
      assert.equal(second.rows.length, 2);
      assert.equal(second.total, 5);
      assert.equal(second.next, undefined);
      const exact = await queryTasks(h.db, ALL, { where, order: [], limit: 5 });
      assert.equal(exact.rows.length, 5);
      assert.equal(exact.next, undefined, 'no next when the last page is exactly full');
      assert.equal((await queryTasks(h.db, ALL, { where, order: [], limit: 5 })).total, undefined, 'no total unless asked');
      await assert.rejects(
        queryTasks(h.db, ALL, { where, order: [], limit: 5, after: [1, 2, 3] }),
        (err) => err instanceof ApiError && err.status === 400,
      );
      await assert.rejects(
        queryTasks(h.db, ALL, { where, order: [], limit: 5, after: ['x'] }),
        (err) => err instanceof ApiError && err.status === 400,
        'an id position must be an integer',
      );
      const none = await queryTasks(h.db, ALL, { where, order: [], limit: 0, count: true });
      assert.deepEqual([none.rows, none.next, none.total], [[], undefined, 5], 'limit 0 only counts');
    });

    test('page numbers: the numbered page in the order, always with the total; beyond the end, none', async () => {
      const { app } = await appInNewSpace(h);
      const tasks = await seedTasks(h, app.guid, [
        { created_at: '2024-01-02T00:00:00.000Z' },
        { created_at: '2024-01-01T00:00:00.000Z' },
        { created_at: '2024-01-02T00:00:00.000Z' },
        { created_at: '2024-01-03T00:00:00.000Z' },
        { created_at: '2024-01-01T00:00:00.000Z' },
      ]);
      const where: TaskCondition[] = [{ field: 'app_guid', op: 'eq', value: app.guid }];
      const byId = await queryTasks(h.db, ALL, { where, order: [], page: { number: 2, size: 2 } });
      assert.deepEqual([byId.rows.map((r) => r.id), byId.total], [idsOf(tasks).slice(2, 4), 5]);
      // Ties in the timestamp are broken by the guid, in the same direction.
      const order: TaskOrder[] = [
        { field: 'created_at', direction: 'desc' },
        { field: 'guid', direction: 'desc' },
      ];
      const expected = [...tasks]
        .sort((x, y) => (x.created_at === y.created_at ? (x.guid < y.guid ? 1 : -1) : x.created_at < y.created_at ? 1 : -1))
        .map((t) => t.id);
      const pages = await Promise.all([1, 2, 3].map((number) => queryTasks(h.db, ALL, { where, order, page: { number, size: 2 } })));
      assert.deepEqual(
        pages.flatMap((p) => p.rows.map((r) => r.id)),
        expected,
      );
      assert.deepEqual(
        pages.map((p) => p.total),
        [5, 5, 5],
      );
      const beyond = await queryTasks(h.db, ALL, { where, order, page: { number: 9, size: 2 } });
      assert.deepEqual([beyond.rows, beyond.total], [[], 5]);
    });

    test('counts of states, spaces and orgs (from counters) and of one label agree with the rows', async () => {
      const { app, space, org } = await appInNewSpace(h);
      const tasks = await seedTasks(h, app.guid, [{ state: 'SUCCEEDED' }, { state: 'FAILED' }, { state: 'RUNNING' }, { state: 'PAUSED' }]);
      await labelTask(h, tasks[0], { 'example.com/count-check': app.guid });
      const ids = await spaceAndOrgIds(h, space.guid);
      const scopes: Scope[] = [
        ALL,
        { all: false, spaceIds: [ids.spaceId], organizationIds: [] },
        { all: false, spaceIds: [], organizationIds: [ids.organizationId] },
      ];
      const queries: TaskCondition[][] = [
        [{ field: 'space_guid', op: 'eq', value: space.guid }],
        [
          { field: 'organization_guid', op: 'in', values: [org.guid] },
          { field: 'state', op: 'in', values: ['RUNNING', 'PAUSED', 'FAILED'] },
        ],
        [
          { field: 'space_guid', op: 'in', values: [space.guid] },
          { field: 'state', op: 'eq', value: 'PAUSED' },
        ],
        [
          { field: 'space_guid', op: 'in', values: [space.guid] },
          { field: 'state', op: 'in', values: [] },
        ],
      ];
      for (const scope of scopes) {
        for (const where of queries) {
          const { total } = await queryTasks(h.db, scope, { where, order: [], page: { number: 1, size: 1 } });
          const rows = (await queryTasks(h.db, scope, { where: [...where, { field: 'app_guid', op: 'eq', value: app.guid }], order: [] }))
            .rows;
          assert.equal(total, rows.length, JSON.stringify({ scope, where }));
        }
      }
      const labelled = await queryTasks(h.db, ALL, {
        where: [{ op: 'label', key: 'example.com/count-check', value: [app.guid] }],
        order: [],
        page: { number: 1, size: 1 },
      });
      assert.deepEqual([labelled.total, labelled.rows.map((r) => r.id)], [1, [tasks[0].id]]);
      const unlabelled = await queryTasks(h.db, ALL, {
        where: [{ op: 'not', condition: { op: 'label', key: 'example.com/count-check' } }],
        order: [],
        page: { number: 1, size: 1 },
      });
      const everyTask = await queryTasks(h.db, ALL, { where: [], order: [], page: { number: 1, size: 1 } });
      assert.equal(unlabelled.total, everyTask.total - 1);
    });

    test('without a limit every match comes back, read in bounded pages', async () => {
      const { app } = await appInNewSpace(h);
      const tasks = await seedTasks(
        h,
        app.guid,
        Array.from({ length: 7 }, () => ({})),
      );
      const where: TaskCondition[] = [{ field: 'app_guid', op: 'eq', value: app.guid }];
      const pages: number[][] = [];
      for await (const page of eachTaskPage(h.db, ALL, { where, order: [{ field: 'id', direction: 'desc' }] }, 3))
        pages.push(page.map((r) => r.id));
      assert.deepEqual(
        pages.map((p) => p.length),
        [3, 3, 1],
      );
      assert.deepEqual(pages.flat(), idsOf(tasks).reverse());
    });

    test('rows carry their labels and their latest message', async () => {
      const { app } = await appInNewSpace(h);
      const [a, b] = await seedTasks(h, app.guid, [{ message_count: 2 }, {}]);
      await labelTask(h, a, { 'example.com/tier': 'gold', env: 'prod' });
      await h.db
        .insertInto('task_messages')
        .values([
          { task_id: a.id, seq: 1, time: '2024-01-01T00:00:00.000Z', source: 'runner', text: 'Task started' },
          { task_id: a.id, seq: 2, time: '2024-01-01T00:00:05.000Z', source: 'task', text: 'half way' },
        ])
        .execute();
      const rows = (await queryTasks(h.db, ALL, { where: [{ field: 'app_guid', op: 'eq', value: app.guid }], order: [] })).rows;
      assert.deepEqual(
        rows.map((r) => r.labels),
        [
          [
            { key: 'env', value: 'prod' },
            { key: 'example.com/tier', value: 'gold' },
          ],
          [],
        ],
      );
      assert.deepEqual(
        rows.map((r) => [r.latest_message_text, r.latest_message_time, r.latest_message_source]),
        [
          ['half way', '2024-01-01T00:00:05.000Z', 'task'],
          [null, null, null],
        ],
      );
      assert.equal(rows[1].id, b.id);
      const bare = await queryTasks(h.db, ALL, {
        where: [{ field: 'app_guid', op: 'eq', value: app.guid }],
        order: [],
        page: { number: 1, size: 5 },
        withLabels: false,
      });
      assert.deepEqual(
        bare.rows.map((r) => [r.id, r.labels]),
        [
          [a.id, []],
          [b.id, []],
        ],
        'a query may leave the labels out',
      );
    });
  },
  { runnerSlots: 0 },
);
