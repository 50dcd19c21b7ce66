import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore, type Actor } from '../../support/harness.js';
import { appInNewSpace, labelTask, pretendRunnerElsewhere, seedTask } from '../../support/tasks.js';
import type { TaskRow } from '../../../src/store/schema.js';
import { apiError, call, fixtureSession, restError, restListed } from './helpers.js';

const T1 = '2026-01-02T03:05:00.000Z';
const T2 = '2026-01-02T03:06:30.500Z';

describeEachStore(
  'listing tasks: GET /rest/cis/tasks, POST /api/cis/tasks?action=list, GET /api/cis/tasks',
  (h) => {
    // A developer of one space sees its two apps' tasks; admin sees those and another space's.
    let developer: Actor;
    let devSession: string;
    let adminSession: string;
    let appA: any;
    let appB: any;
    let otherApp: any;
    const t: Record<string, TaskRow> = {};

    before(async () => {
      await pretendRunnerElsewhere(h);
      adminSession = await fixtureSession(h);
      const first = await appInNewSpace(h);
      appA = first.app;
      appB = await h.app(first.space.guid);
      otherApp = (await appInNewSpace(h)).app;
      developer = await h.user();
      await h.role('space_developer', developer.guid, { space: first.space.guid });
      devSession = await fixtureSession(h, developer);
      const creator = await h.user();
      t.pending = await seedTask(h, appA.guid, { state: 'PENDING', created_by: developer.guid });
      t.running = await seedTask(h, appA.guid, { state: 'RUNNING', started_at: T1, created_by: creator.guid });
      t.paused = await seedTask(h, appA.guid, { state: 'PAUSED', started_at: T1 });
      t.canceling = await seedTask(h, appB.guid, { state: 'CANCELING', started_at: T1, created_by: creator.guid });
      t.succeeded = await seedTask(h, appB.guid, {
        state: 'SUCCEEDED',
        started_at: T1,
        finished_at: T2,
        exit_status: 0,
        created_by: developer.guid,
      });
      t.failed = await seedTask(h, appB.guid, {
        state: 'FAILED',
        started_at: T1,
        finished_at: T2,
        exit_status: 1,
        failure_reason: 'Exited with status 1',
      });
      t.hidden = await seedTask(h, otherApp.guid, { state: 'RUNNING', started_at: T1 });
      await labelTask(h, t.succeeded, { tier: 'gold' });
    });

    const name = (guid: string) => Object.entries(t).find(([, row]) => row.guid === guid)?.[0] ?? guid;
    const restNames = async (query: string, session = devSession) =>
      [...restListed(await call(h, 'GET', `/rest/cis/tasks?${query}`, session)).keys()].map(name);

    test('/rest answers [{key: task id, value: Info}] of every visible task, oldest first', async () => {
      const res = await call(h, 'GET', '/rest/cis/tasks?filter_spec.services=taskd.task', devSession);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(
        res.body.value.map((e: any) => name(e.key)),
        ['pending', 'running', 'paused', 'canceling', 'succeeded', 'failed'],
      );
      const succeeded = res.body.value.find((e: any) => e.key === t.succeeded.guid).value;
      assert.deepEqual(succeeded, (await call(h, 'GET', `/rest/cis/tasks/${t.succeeded.guid}`, devSession)).body.value);
      assert.equal(succeeded.status, 'SUCCEEDED');
      assert.deepEqual(succeeded.result, { exit_status: 0 });
    });

    test('/api POST action=list answers an object keyed by task id; GET /api/cis/tasks takes the /rest query', async () => {
      const posted = await call(h, 'POST', '/api/cis/tasks?action=list', devSession, {
        filter_spec: { services: ['taskd.task'], status: ['FAILED'] },
      });
      assert.equal(posted.status, 200, posted.text);
      assert.deepEqual(Object.keys(posted.body), [t.failed.guid]);
      assert.equal(posted.body[t.failed.guid].status, 'FAILED');
      assert.equal(posted.body[t.failed.guid].error.error_type, 'ERROR');

      const got = await call(h, 'GET', '/api/cis/tasks?filter_spec.services.1=taskd.task&filter_spec.status=FAILED', devSession);
      assert.equal(got.status, 200, got.text);
      assert.deepEqual(got.body, posted.body);
    });

    test('indexed (1-based) and repeated-key lists mean the same, and may be mixed', async () => {
      const indexed = await restNames('filter_spec.services.1=taskd.task&filter_spec.status.1=PENDING&filter_spec.status.2=FAILED');
      const repeated = await restNames('filter_spec.services=taskd.task&filter_spec.status=PENDING&filter_spec.status=FAILED');
      const mixed = await restNames('filter_spec.services=taskd.task&filter_spec.status.2=FAILED&filter_spec.status=PENDING');
      assert.deepEqual(indexed, ['pending', 'failed']);
      assert.deepEqual(repeated, indexed);
      assert.deepEqual(mixed, indexed);
    });

    test('status: vSphere statuses stand for taskd states (BLOCKED is paused, RUNNING includes canceling)', async () => {
      const cases: [string, string[]][] = [
        ['PENDING', ['pending']],
        ['RUNNING', ['running', 'canceling']],
        ['BLOCKED', ['paused']],
        ['SUCCEEDED', ['succeeded']],
        ['FAILED', ['failed']],
      ];
      for (const [status, expected] of cases) {
        assert.deepEqual(await restNames(`filter_spec.services=taskd.task&filter_spec.status=${status}`), expected, status);
      }
    });

    test('tasks: the given ids only; ids the caller cannot see are simply not there', async () => {
      assert.deepEqual(
        await restNames(`filter_spec.tasks.1=${t.paused.guid}&filter_spec.tasks.2=${t.hidden.guid}&filter_spec.tasks.3=nope`),
        ['paused'],
      );
      assert.deepEqual(await restNames(`filter_spec.tasks.1=${t.paused.guid}&filter_spec.tasks.2=${t.hidden.guid}`, adminSession), [
        'paused',
        'hidden',
      ]);
    });

    test("services and operations: taskd's tasks are service taskd.task, operation run", async () => {
      assert.deepEqual(await restNames('filter_spec.services=com.vmware.vcenter.vm'), []);
      assert.equal((await restNames('filter_spec.services=com.vmware.vcenter.vm&filter_spec.services=taskd.task')).length, 6);
      assert.equal((await restNames('filter_spec.services=taskd.task&filter_spec.operations=run')).length, 6);
      assert.deepEqual(await restNames('filter_spec.services=taskd.task&filter_spec.operations=clone'), []);
    });

    test('targets: {type app, id app guid}, OR within the list; other target types match nothing', async () => {
      const byApp = (guid: string, at = 1) => `filter_spec.targets.${at}.type=app&filter_spec.targets.${at}.id=${guid}`;
      assert.deepEqual(await restNames(`filter_spec.services=taskd.task&${byApp(appB.guid)}`), ['canceling', 'succeeded', 'failed']);
      assert.equal((await restNames(`filter_spec.services=taskd.task&${byApp(appB.guid)}&${byApp(appA.guid, 2)}`)).length, 6);
      assert.deepEqual(
        await restNames(`filter_spec.services=taskd.task&filter_spec.targets.1.type=VirtualMachine&filter_spec.targets.1.id=${appA.guid}`),
        [],
      );
      const body = { filter_spec: { services: ['taskd.task'], targets: [{ type: 'app', id: appA.guid }] } };
      assert.deepEqual(Object.keys((await call(h, 'POST', '/api/cis/tasks?action=list', devSession, body)).body).map(name), [
        'pending',
        'running',
        'paused',
      ]);
    });

    test("users: by the creator's username", async () => {
      assert.deepEqual(await restNames(`filter_spec.services=taskd.task&filter_spec.users=${developer.username}`), [
        'pending',
        'succeeded',
      ]);
      assert.deepEqual(await restNames('filter_spec.services=taskd.task&filter_spec.users=nobody'), []);
    });

    test('fields combine with AND, values within one field with OR', async () => {
      const query = `filter_spec.services=taskd.task&filter_spec.users=${developer.username}&filter_spec.status=SUCCEEDED&filter_spec.status=RUNNING`;
      assert.deepEqual(await restNames(query), ['succeeded']);
      const body = { filter_spec: { services: ['taskd.task'], status: ['RUNNING', 'PENDING'], targets: [{ type: 'app', id: appB.guid }] } };
      assert.deepEqual(Object.keys((await call(h, 'POST', '/api/cis/tasks?action=list', devSession, body)).body).map(name), ['canceling']);
    });

    test('empty lists are unset; null members in the /api body are unset', async () => {
      const body = { filter_spec: { services: ['taskd.task'], status: [], users: null, targets: null }, result_spec: null };
      assert.equal(Object.keys((await call(h, 'POST', '/api/cis/tasks?action=list', devSession, body)).body).length, 6);
    });

    test('result_spec: exclude_result drops results, return_all adds result.taskd', async () => {
      const only = `filter_spec.tasks=${t.succeeded.guid}`;
      const plain = restListed(await call(h, 'GET', `/rest/cis/tasks?${only}`, devSession)).get(t.succeeded.guid);
      assert.deepEqual(plain.result, { exit_status: 0 });
      const excluded = restListed(await call(h, 'GET', `/rest/cis/tasks?${only}&result_spec.exclude_result=true`, devSession)).get(
        t.succeeded.guid,
      );
      assert.equal(excluded.result, undefined);
      const all = restListed(await call(h, 'GET', `/rest/cis/tasks?${only}&result_spec.return_all=true`, devSession)).get(t.succeeded.guid);
      assert.deepEqual(all.result.taskd.labels, [{ key: 'tier', value: 'gold' }]);
      assert.equal(all.result.taskd.guid, t.succeeded.guid);

      const api = await call(h, 'POST', '/api/cis/tasks?action=list', devSession, {
        filter_spec: { tasks: [t.succeeded.guid] },
        result_spec: { return_all: true },
      });
      assert.deepEqual(api.body[t.succeeded.guid].result.taskd.labels, { tier: 'gold' });
      const apiExcluded = await call(h, 'POST', '/api/cis/tasks?action=list', devSession, {
        filter_spec: { tasks: [t.succeeded.guid] },
        result_spec: { exclude_result: true, return_all: true },
      });
      assert.equal(apiExcluded.body[t.succeeded.guid].result, undefined);
    });

    test('visibility: exactly what the CF API lists for the caller', async () => {
      for (const [who, session] of [
        ['developer', devSession],
        ['admin', adminSession],
      ] as const) {
        const token = who === 'admin' ? h.admin.token : developer.token;
        const cf = (await h.get('/v3/tasks?per_page=5000', token)).body.resources.map((r: any) => r.guid).sort();
        const listed = [...restListed(await call(h, 'GET', '/rest/cis/tasks?filter_spec.services=taskd.task', session)).keys()].sort();
        assert.deepEqual(listed, cf, who);
      }
      const stranger = await fixtureSession(h, await h.user());
      assert.deepEqual(restListed(await call(h, 'GET', '/rest/cis/tasks?filter_spec.services=taskd.task', stranger)).size, 0);
      const auditor = await h.user(['cloud_controller.global_auditor']);
      assert.ok(
        restListed(await call(h, 'GET', `/rest/cis/tasks?filter_spec.tasks=${t.hidden.guid}`, await fixtureSession(h, auditor))).has(
          t.hidden.guid,
        ),
      );
    });

    test('a list naming neither tasks nor services is 400 invalid_argument', async () => {
      restError(await call(h, 'GET', '/rest/cis/tasks', devSession), 400, 'invalid_argument', 'tasks or services');
      restError(
        await call(h, 'GET', '/rest/cis/tasks?filter_spec.status=RUNNING', devSession),
        400,
        'invalid_argument',
        'tasks or services',
      );
      apiError(
        await call(h, 'POST', '/api/cis/tasks?action=list', devSession, { filter_spec: { tasks: [], status: ['RUNNING'] } }),
        400,
        'INVALID_ARGUMENT',
        'tasks or services',
      );
      apiError(await call(h, 'POST', '/api/cis/tasks?action=list', devSession), 400, 'INVALID_ARGUMENT', 'tasks or services');
      apiError(await call(h, 'GET', '/api/cis/tasks', devSession), 400, 'INVALID_ARGUMENT', 'tasks or services');
    });

    test('bad /rest queries are 400 invalid_argument saying what is wrong', async () => {
      const cases: [string, string][] = [
        ['filter_spec.services=taskd.task&filter_spec.status=DONE', "'DONE' is not a task status"],
        ['filter_spec.services=taskd.task&filter_spec.colour=red', "Unknown query parameter 'filter_spec.colour'"],
        ['filter_spec.services=taskd.task&page=2', "Unknown query parameter 'page'"],
        ['filter_spec.services.0=taskd.task', 'numbered from 1'],
        ['filter_spec.services.x=taskd.task', 'numbered from 1'],
        ['filter_spec.services.1=taskd.task&filter_spec.services.1=other', 'more than once'],
        ['filter_spec.services=', 'must not be empty'],
        ['filter_spec.services=taskd.task&filter_spec.targets.1.type=app', 'needs both'],
        ['filter_spec.services=taskd.task&filter_spec.targets.type=app', 'filter_spec.targets.<n>.type'],
        ['filter_spec.services=taskd.task&result_spec.return_all=yes', 'result_spec.return_all must be true or false'],
        ['filter_spec.services=taskd.task&result_spec.return_all=true&result_spec.return_all=true', 'more than once'],
        ['filter_spec.services=%E0%A4%A', 'percent-encoding'],
      ];
      for (const [query, mentions] of cases) {
        restError(await call(h, 'GET', `/rest/cis/tasks?${query}`, devSession), 400, 'invalid_argument', mentions);
      }
      apiError(
        await call(h, 'GET', '/api/cis/tasks?filter_spec.status=DONE&filter_spec.services=taskd.task', devSession),
        400,
        'INVALID_ARGUMENT',
        "'DONE'",
      );
    });

    test('bad /api bodies are 400 INVALID_ARGUMENT saying what is wrong', async () => {
      const list = (payload: string) =>
        h.request('POST', '/api/cis/tasks?action=list', {
          headers: { 'vmware-api-session-id': devSession, 'content-type': 'application/json' },
          payload,
        });
      const cases: [string, string][] = [
        ['{"filter_spec": {"services": ["taskd.task"]', 'not valid JSON'],
        ['[]', 'must be a JSON object'],
        ['"x"', 'must be a JSON object'],
        ['{"filter_spec": {"services": "taskd.task"}}', 'filter_spec.services must be an array'],
        ['{"filter_spec": {"services": [1]}}', 'filter_spec.services[0] must be a string'],
        ['{"filter_spec": {"services": ["taskd.task"], "state": ["RUNNING"]}}', "filter_spec has no member 'state'"],
        ['{"filter_spec": {"services": ["taskd.task"], "targets": [{"type": "app"}]}}', 'filter_spec.targets[0].id must be a string'],
        ['{"filter_spec": {"services": ["taskd.task"], "targets": ["app"]}}', 'filter_spec.targets[0] must be an object'],
        [
          '{"filter_spec": {"services": ["taskd.task"]}, "result_spec": {"return_all": "true"}}',
          'result_spec.return_all must be true or false',
        ],
        ['{"filter_spec": {"services": ["taskd.task"]}, "limit": 5}', "has no member 'limit'"],
        ['{"filter_spec": ["taskd.task"]}', 'filter_spec must be an object'],
      ];
      for (const [payload, mentions] of cases) apiError(await list(payload), 400, 'INVALID_ARGUMENT', mentions);
      apiError(
        await call(h, 'POST', '/api/cis/tasks', devSession, { filter_spec: { services: ['taskd.task'] } }),
        400,
        'INVALID_ARGUMENT',
        'action=list',
      );
      apiError(
        await call(h, 'POST', '/api/cis/tasks?action=cancel', devSession, { filter_spec: { services: ['taskd.task'] } }),
        400,
        'INVALID_ARGUMENT',
        "Unknown action 'cancel'",
      );
    });
  },
  { runnerSlots: 0 },
);
