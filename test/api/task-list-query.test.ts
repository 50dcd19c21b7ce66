// CF's list query grammar on the two task lists (spec §5, §6, §11): every parameter where it is
// allowed, every error message, and the pagination links.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { appInNewSpace, labelTask, seedTasks } from '../support/tasks.js';
import type { TaskRow } from '../../src/store/schema.js';

const BASE = 'https://api.example.org';
const ALL_PARAMS =
  "'page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'guids', 'names', 'states', 'app_guids', 'organization_guids', 'space_guids', 'app_guid', 'sequence_ids', 'label_selector'";
const GLOBAL_PARAMS = ALL_PARAMS.replace(" 'app_guid',", '');

function badQuery(h: Harness, url: string, detail: string) {
  return h.get(url).then((res) => cfError(res, 400, 'CF-BadQueryParameter', 10005, `The query parameter is invalid: ${detail}`));
}

/** Guids of the tasks a list answers, as indexes into `tasks` (readable failures). */
async function indexesOf(h: Harness, url: string, tasks: TaskRow[]): Promise<number[]> {
  const res = await h.get(url);
  assert.equal(res.status, 200, `${url}: ${res.text}`);
  assert.equal(res.body.pagination.total_results, res.body.resources.length, `${url}: total_results`);
  return res.body.resources.map((t: any) => tasks.findIndex((s) => s.guid === t.guid));
}

describeEachStore(
  'task list queries',
  (h) => {
    test('unknown parameters: the valid ones listed in CF order; app_guid is unknown on /v3/tasks', async () => {
      const { app } = await appInNewSpace(h);
      await badQuery(h, '/v3/tasks?foo=1&bar=2', `Unknown query parameter(s): 'foo', 'bar'. Valid parameters are: ${GLOBAL_PARAMS}`);
      await badQuery(h, '/v3/tasks?app_guid=x', `Unknown query parameter(s): 'app_guid'. Valid parameters are: ${GLOBAL_PARAMS}`);
      await badQuery(h, `/v3/apps/${app.guid}/tasks?foo=1`, `Unknown query parameter(s): 'foo'. Valid parameters are: ${ALL_PARAMS}`);
    });

    test('misplaced parameters get the bare message, in CF order, only those present', async () => {
      const { app } = await appInNewSpace(h);
      await badQuery(h, '/v3/tasks?sequence_ids=1', "Unknown query parameter(s): 'sequence_ids'");
      const nested = `/v3/apps/${app.guid}/tasks`;
      await badQuery(
        h,
        `${nested}?app_guids=a&organization_guids=o&space_guids=s`,
        "Unknown query parameter(s): 'space_guids', 'organization_guids', 'app_guids'",
      );
      await badQuery(h, `${nested}?app_guids=a&space_guids=s`, "Unknown query parameter(s): 'space_guids', 'app_guids'");
      await badQuery(h, `${nested}?organization_guids=o`, "Unknown query parameter(s): 'organization_guids'");
    });

    test('page, per_page, order_by and sequence_ids values are checked, and all problems reported together', async () => {
      const { app } = await appInNewSpace(h);
      for (const path of ['/v3/tasks', `/v3/apps/${app.guid}/tasks`]) {
        await badQuery(h, `${path}?page=0`, 'Page must be a positive integer');
        await badQuery(h, `${path}?page=abc`, 'Page must be a positive integer');
        await badQuery(h, `${path}?per_page=0`, 'Per page must be a positive integer');
        await badQuery(h, `${path}?per_page=x`, 'Per page must be a positive integer');
        await badQuery(h, `${path}?per_page=5001`, 'Per page must be between 1 and 5000');
        await badQuery(h, `${path}?order_by=name`, "Order by can only be: 'created_at', 'updated_at'");
        await badQuery(h, `${path}?order_by=*created_at`, "Order by can only be: 'created_at', 'updated_at'");
        await badQuery(h, `${path}?page=0&per_page=0`, 'Page must be a positive integer, Per page must be a positive integer');
        assert.equal((await h.get(`${path}?per_page=5000&page=2abc`)).body.pagination.first.href.includes('per_page=5000'), true);
      }
      await badQuery(h, `/v3/apps/${app.guid}/tasks?sequence_ids=1,two`, 'Sequence ids must be integers');
      await badQuery(h, `/v3/apps/${app.guid}/tasks?sequence_ids=`, 'Sequence ids must be integers');
      const huge = await h.get(`/v3/apps/${app.guid}/tasks?sequence_ids=99999999999999999999`);
      assert.deepEqual(huge.body.resources, [], 'an integer no sequence id can reach matches nothing');
    });

    test('comma lists: OR within, AND across; names case-insensitive; double-encoded commas; states exact', async () => {
      const { app } = await appInNewSpace(h);
      const tasks = await seedTasks(h, app.guid, [
        { name: 'Nightly-Report', state: 'SUCCEEDED' },
        { name: 'x,y', state: 'FAILED' },
        { name: 'migrate', state: 'RUNNING' },
        { name: 'other', state: 'SUCCEEDED' },
      ]);
      const list = `/v3/tasks?app_guids=${app.guid}&`;
      assert.deepEqual(await indexesOf(h, `${list}names=nightly-report`, tasks), [0]);
      assert.deepEqual(await indexesOf(h, `${list}names=NIGHTLY-REPORT,migrate`, tasks), [0, 2]);
      assert.deepEqual(await indexesOf(h, `${list}names=migrate,%20other`, tasks), [2, 3], 'whitespace after a comma is dropped');
      assert.deepEqual(await indexesOf(h, `${list}names=x%252Cy`, tasks), [1], 'a double-encoded comma is part of the name');
      assert.deepEqual(await indexesOf(h, `${list}names=x,y`, tasks), [], 'a plain comma separates');
      assert.deepEqual(await indexesOf(h, `${list}names=`, tasks), []);
      assert.deepEqual(await indexesOf(h, `${list}states=SUCCEEDED,RUNNING`, tasks), [0, 2, 3]);
      assert.deepEqual(await indexesOf(h, `${list}states=succeeded`, tasks), [], 'states match exactly');
      assert.deepEqual(await indexesOf(h, `${list}states=SUCCEEDED&names=other`, tasks), [3]);
      assert.deepEqual(await indexesOf(h, `${list}guids=${tasks[3].guid},${tasks[1].guid}`, tasks), [1, 3]);
      const nested = `/v3/apps/${app.guid}/tasks?`;
      assert.deepEqual(await indexesOf(h, `${nested}names=MIGRATE`, tasks), [2]);
      assert.deepEqual(await indexesOf(h, `${nested}sequence_ids=4,%202`, tasks), [1, 3]);
      assert.deepEqual(await indexesOf(h, `${nested}guids=${tasks[0].guid}&states=SUCCEEDED`, tasks), [0]);
      const echoed = await h.get(`${list}names=x%252Cy,migrate`);
      assert.equal(echoed.body.pagination.first.href, `${BASE}/v3/tasks?app_guids=${app.guid}&names=x%252Cy%2Cmigrate&page=1&per_page=50`);
    });

    for (const [param, column, label] of [
      ['created_ats', 'created_at', 'Created ats'],
      ['updated_ats', 'updated_at', 'Updated ats'],
    ] as const) {
      test(`${param}: equality and the four operators, at whole-second precision`, async () => {
        const { app } = await appInNewSpace(h);
        const other = column === 'created_at' ? 'updated_at' : 'created_at';
        const times = ['12:00:00.000', '12:00:00.600', '12:00:01.000', '12:00:01.999', '12:00:02.500'];
        // The other timestamp runs the opposite way, so filtering the wrong column shows.
        const tasks = await seedTasks(
          h,
          app.guid,
          times.map((t, i) => ({ [column]: `2021-06-01T${t}Z`, [other]: `2021-06-0${5 - i}T00:00:00.000Z` })),
        );
        const url = (q: string) => `/v3/apps/${app.guid}/tasks?${q}`;
        const T = (s: string) => `2021-06-01T12:00:0${s}Z`;
        assert.deepEqual(await indexesOf(h, url(`${param}=${T('1')}`), tasks), [2, 3]);
        assert.deepEqual(await indexesOf(h, url(`${param}=${T('0')},${T('2')}`), tasks), [0, 1, 4]);
        assert.deepEqual(await indexesOf(h, url(`${param}[lt]=${T('1')}`), tasks), [0, 1]);
        assert.deepEqual(await indexesOf(h, url(`${param}[lte]=${T('1')}`), tasks), [0, 1, 2, 3]);
        assert.deepEqual(await indexesOf(h, url(`${param}[gt]=${T('1')}`), tasks), [4]);
        assert.deepEqual(await indexesOf(h, url(`${param}[gte]=${T('1')}`), tasks), [2, 3, 4]);
        assert.deepEqual(await indexesOf(h, url(`${param}[gt]=${T('0')}&${param}[lt]=${T('2')}`), tasks), [2, 3]);
        assert.deepEqual(await indexesOf(h, `/v3/tasks?app_guids=${app.guid}&${param}[gte]=${T('2')}`, tasks), [4]);

        const format = `${label} has an invalid timestamp format. Timestamps should be formatted as 'YYYY-MM-DDThh:mm:ssZ'`;
        await badQuery(h, url(`${param}=2021-06-01`), format);
        await badQuery(h, url(`${param}=2021-06-01T12:00:00.000Z`), format);
        await badQuery(h, url(`${param}=2021-13-01T12:00:00Z`), format);
        await badQuery(h, url(`${param}[lt]=yesterday`), format);
        await badQuery(h, url(`${param}[foo]=${T('1')}`), `${label} Invalid relational operator: 'foo'`);
        await badQuery(h, url(`${param}[lt]=${T('1')},${T('2')}`), `${label} only accepts one value when using a relational operator`);
        await badQuery(h, `/v3/tasks?${param}=x`, format);
      });
    }

    test('label_selector: all six forms, AND-ed requirements, prefixed keys', async () => {
      const { app } = await appInNewSpace(h);
      const tasks = await seedTasks(h, app.guid, [{}, {}, {}, {}]);
      await labelTask(h, tasks[0], { env: 'prod', tier: 'web' });
      await labelTask(h, tasks[1], { env: 'dev' });
      await labelTask(h, tasks[3], { env: 'prod', 'example.com/team': 'data' });
      for (const url of [
        (q: string) => `/v3/apps/${app.guid}/tasks?label_selector=${q}`,
        (q: string) => `/v3/tasks?app_guids=${app.guid}&label_selector=${q}`,
      ]) {
        assert.deepEqual(await indexesOf(h, url('env%3Dprod'), tasks), [0, 3]);
        assert.deepEqual(await indexesOf(h, url('env%3D%3Dprod'), tasks), [0, 3]);
        assert.deepEqual(await indexesOf(h, url('env!%3Dprod'), tasks), [1, 2]);
        assert.deepEqual(await indexesOf(h, url('env%20in%20(prod,dev)'), tasks), [0, 1, 3]);
        assert.deepEqual(await indexesOf(h, url('env+notin+(prod)'), tasks), [1, 2]);
        assert.deepEqual(await indexesOf(h, url('env'), tasks), [0, 1, 3]);
        assert.deepEqual(await indexesOf(h, url('!env'), tasks), [2]);
        assert.deepEqual(await indexesOf(h, url('env%3Dprod,tier%3Dweb'), tasks), [0]);
        assert.deepEqual(await indexesOf(h, url('example.com/team%3Ddata'), tasks), [3]);
        assert.deepEqual(await indexesOf(h, url('team'), tasks), [], 'a prefixed key is not its bare name');
      }
    });

    test('label_selector errors', async () => {
      const { app } = await appInNewSpace(h);
      for (const path of ['/v3/tasks', `/v3/apps/${app.guid}/tasks`]) {
        await badQuery(h, `${path}?label_selector=`, 'Missing label_selector value');
        await badQuery(h, `${path}?label_selector=a%20b`, 'Invalid label_selector value');
        await badQuery(h, `${path}?label_selector=env%20in%20prod`, 'Invalid label_selector value');
        await badQuery(
          h,
          `${path}?label_selector=${Array.from({ length: 51 }, (_, i) => `k${i}`).join(',')}`,
          'Too many label_selector requirements (maximum is 50)',
        );
        await badQuery(h, `${path}?label_selector=%3Dx`, 'key cannot be empty string');
        await badQuery(h, `${path}?label_selector=a/b/c%3Dx`, "key has more than one '/'");
        await badQuery(h, `${path}?label_selector=-bad.com/k`, "prefix '-bad.com' must be in valid dns format");
        await badQuery(h, `${path}?label_selector=cloudfoundry.org/k`, "prefix 'cloudfoundry.org' is reserved");
        await badQuery(h, `${path}?label_selector=env%3D-prod`, "'-prod' starts or ends with invalid characters");
        await badQuery(h, `${path}?label_selector=env%20in%20(prod,a_b$)`, "'a_b$' contains invalid characters");
      }
    });

    test('order_by a timestamp, both directions, ties broken by guid in the same direction', async () => {
      const { app } = await appInNewSpace(h);
      const at = (s: string) => `2022-02-02T00:00:0${s}.000Z`;
      const tasks = await seedTasks(h, app.guid, [
        { created_at: at('3'), updated_at: at('1') },
        { created_at: at('1'), updated_at: at('3') },
        { created_at: at('2'), updated_at: at('2') },
        { created_at: at('2'), updated_at: at('2') },
        { created_at: at('2'), updated_at: at('2') },
      ]);
      const tied = [2, 3, 4].sort((a, b) => (tasks[a].guid < tasks[b].guid ? -1 : 1));
      const url = (q: string) => `/v3/apps/${app.guid}/tasks?${q}`;
      assert.deepEqual(await indexesOf(h, url('order_by=created_at'), tasks), [1, ...tied, 0]);
      assert.deepEqual(await indexesOf(h, url('order_by=%2Bcreated_at'), tasks), [1, ...tied, 0]);
      assert.deepEqual(await indexesOf(h, url('order_by=-created_at'), tasks), [0, ...[...tied].reverse(), 1]);
      assert.deepEqual(await indexesOf(h, url('order_by=updated_at'), tasks), [0, ...tied, 1]);
      assert.deepEqual(await indexesOf(h, url('order_by=-updated_at'), tasks), [1, ...[...tied].reverse(), 0]);
      assert.deepEqual(await indexesOf(h, url(''), tasks), [0, 1, 2, 3, 4], 'default: insertion order');
      const paged = [];
      for (let page = 1; page <= 3; page++) {
        const res = await h.get(url(`order_by=-created_at&per_page=2&page=${page}`));
        paged.push(...res.body.resources.map((t: any) => tasks.findIndex((s) => s.guid === t.guid)));
      }
      assert.deepEqual(paged, [0, ...[...tied].reverse(), 1], 'pages follow the order');
    });

    test("pagination links follow the spec's examples", async () => {
      const { app } = await appInNewSpace(h);
      await seedTasks(h, app.guid, [{}, {}, {}, {}, {}]);
      const first = (res: any) => res.body.pagination.first.href;
      assert.equal(first(await h.get('/v3/tasks?per_page=2')), `${BASE}/v3/tasks?page=1&per_page=2`);
      assert.equal(
        first(
          await h.get(
            '/v3/tasks?states=SUCCEEDED&names=task%20one&space_guids=S&organization_guids=O&app_guids=X&label_selector=boomerang',
          ),
        ),
        `${BASE}/v3/tasks?app_guids=X&label_selector=boomerang&names=task+one&organization_guids=O&page=1&per_page=50&space_guids=S&states=SUCCEEDED`,
      );
      assert.equal(
        first(await h.get('/v3/tasks?label_selector=boomerang%3Dgel')),
        `${BASE}/v3/tasks?label_selector=boomerang%3Dgel&page=1&per_page=50`,
      );
      assert.equal(first(await h.get('/v3/tasks?order_by=created_at')), `${BASE}/v3/tasks?order_by=%2Bcreated_at&page=1&per_page=50`);
      assert.equal(first(await h.get('/v3/tasks?order_by=-created_at')), `${BASE}/v3/tasks?order_by=-created_at&page=1&per_page=50`);
      assert.equal(
        first(await h.get('/v3/tasks?created_ats[gt]=2020-01-01T00:00:00Z')),
        `${BASE}/v3/tasks?created_ats%5Bgt%5D=2020-01-01T00%3A00%3A00Z&page=1&per_page=50`,
      );
      assert.equal(
        first(await h.get(`/v3/apps/${app.guid}/tasks?sequence_ids=1,2`)),
        `${BASE}/v3/apps/${app.guid}/tasks?page=1&per_page=50&sequence_ids=1%2C2`,
      );

      const res = await h.get(`/v3/apps/${app.guid}/tasks?per_page=2&page=2&states=RUNNING`);
      const link = (page: number) => ({ href: `${BASE}/v3/apps/${app.guid}/tasks?page=${page}&per_page=2&states=RUNNING` });
      assert.deepEqual(res.body.pagination, {
        total_results: 5,
        total_pages: 3,
        first: link(1),
        last: link(3),
        next: link(3),
        previous: link(1),
      });
      const only = await h.get(`/v3/apps/${app.guid}/tasks`);
      const single = { href: `${BASE}/v3/apps/${app.guid}/tasks?page=1&per_page=50` };
      assert.deepEqual(only.body.pagination, { total_results: 5, total_pages: 1, first: single, last: single, next: null, previous: null });
    });
  },
  { runnerSlots: 0 },
);
