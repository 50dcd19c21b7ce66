// Who may read /metrics: tasks reach 127.0.0.1, so the main listener answers only a scrape with
// the static scrape token (TASKD_METRICS_TOKEN) or a token of a user who reads globally; with
// TASKD_METRICS_ADDRESS the metrics move to a listener of their own, open there, gone from the main
// one. The probes stay public either way.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cfError, describeEachStore } from '../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';
import { insertTask, runnableApp } from '../runner/helpers.js';
import { loadConfig } from '../../src/config.js';
import { createTaskd } from '../../src/taskd.js';
import { GLOBAL_SCOPES, tokenScopes } from '../../src/auth/scopes.js';

const SCRAPE_TOKEN = 'prometheus-scrape-token-0123456789';
const NOT_AUTHENTICATED = ['CF-NotAuthenticated', 10002, 'Authentication error'] as const;
const INVALID_TOKEN = ['CF-InvalidAuthToken', 1000] as const;
const NOT_AUTHORIZED = ['CF-NotAuthorized', 10003, 'You are not authorized to perform the requested action'] as const;

const isExposition = (text: string) => /^# HELP taskd_/m.test(text) && /^taskd_tasks\{state="PENDING"\} \d+$/m.test(text);

describeEachStore(
  'GET /metrics on the main listener',
  (h) => {
    const matrix = sharedRoleMatrix(h);
    const scrape = (authorization?: string) => h.request('GET', '/metrics', { headers: authorization ? { authorization } : {} });

    test("without a credential: 401 in CF's envelope; the probes stay public", async () => {
      cfError(await scrape(), 401, ...NOT_AUTHENTICATED);
      assert.equal((await h.request('GET', '/healthz')).status, 200);
      assert.equal((await h.request('GET', '/readyz')).status, 200);
    });

    test('the scrape token, as Prometheus sends it, reads the metrics', async () => {
      const res = await scrape(`Bearer ${SCRAPE_TOKEN}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      assert.ok(isExposition(res.text), res.text);
    });

    test('a wrong or malformed scrape token is 401', async () => {
      for (const wrong of [
        `Bearer ${SCRAPE_TOKEN}x`,
        `Bearer ${SCRAPE_TOKEN.slice(0, -1)}`,
        'Bearer not-the-token',
        `Basic ${Buffer.from(`admin:${SCRAPE_TOKEN}`).toString('base64')}`,
      ]) {
        const res = await scrape(wrong);
        cfError(res, 401, ...INVALID_TOKEN);
        assert.doesNotMatch(res.text, /taskd_/);
      }
    });

    const expectations: Record<RoleName, number> = {
      admin: 200,
      admin_read_only: 200,
      global_auditor: 200,
      org_manager: 403,
      org_auditor: 403,
      space_developer: 403,
      space_manager: 403,
      space_auditor: 403,
      space_supporter: 403,
      no_role: 403,
    };
    for (const role of ROLES) {
      test(`a token of ${role} answers ${expectations[role]}`, async () => {
        const res = await scrape(`bearer ${(await matrix()).tokens[role]}`);
        if (expectations[role] === 200) {
          assert.equal(res.status, 200, res.text);
          assert.ok(isExposition(res.text), res.text);
        } else {
          cfError(res, 403, ...NOT_AUTHORIZED);
        }
      });
    }

    test("a running task's own token is refused, even when an admin created the task", async () => {
      const { app } = await runnableApp(h);
      const task = await insertTask(h, app.guid, { state: 'RUNNING' });
      await h.db.updateTable('tasks').set({ created_by: h.admin.guid }).where('id', '=', task.id).execute();
      const token = await h.taskd.ctx.tokens.taskToken({
        guid: task.guid,
        appGuid: app.guid,
        createdBy: h.admin.guid,
        timeoutSeconds: null,
      });
      // The same token is good where a task's token is (reading itself).
      assert.equal((await h.get(`/v3/tasks/${task.guid}`, token)).status, 200);
      cfError(await scrape(`bearer ${token}`), 403, ...NOT_AUTHORIZED);
    });
  },
  { metricsToken: SCRAPE_TOKEN },
);

describeEachStore('GET /metrics with no scrape token configured', (h) => {
  test('users who read globally still may; a bearer token is not mistaken for an unset scrape token', async () => {
    assert.equal((await h.get('/metrics')).status, 200);
    cfError(await h.request('GET', '/metrics', { headers: { authorization: 'Bearer ' } }), 401, ...INVALID_TOKEN);
    cfError(await h.request('GET', '/metrics', { headers: { authorization: 'Bearer undefined' } }), 401, ...INVALID_TOKEN);
  });
});

describeEachStore(
  'GET /metrics on a separate listener (TASKD_METRICS_ADDRESS)',
  (h) => {
    test('is served there without a credential, and the main listener answers 404 whoever asks', async () => {
      const metricsApp = h.taskd.metricsApp;
      assert.ok(metricsApp, 'a metrics listener is built');
      await metricsApp.listen({ host: '127.0.0.1', port: 0 });
      const { port } = metricsApp.server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      assert.ok(isExposition(await res.text()));
      // Only the metrics: nothing of the API is reachable through it.
      for (const other of ['/v3/info', '/v3/tasks', '/healthz', '/'])
        assert.equal((await fetch(`http://127.0.0.1:${port}${other}`)).status, 404, other);

      assert.equal((await h.get('/metrics')).status, 404);
      assert.equal((await h.request('GET', '/metrics')).status, 404);
      assert.equal((await h.request('GET', '/healthz')).status, 200);
    });
  },
  { metricsAddress: { host: '127.0.0.1', port: 0 } },
);

describe('GET /metrics on a runner node (TASKD_ROLE=runner)', () => {
  test("verifies users' tokens from the shared store though it serves no API", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-runner-metrics-'));
    const taskd = await createTaskd({ ...loadConfig({ env: {} }), dataDir, role: 'runner', runnerSlots: 1 });
    try {
      const get = (authorization?: string) =>
        taskd.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
      const anonymous = await get();
      assert.equal(anonymous.statusCode, 401);
      assert.equal(anonymous.json().errors[0].title, 'CF-NotAuthenticated');
      const admin = await taskd.ctx.store.db.selectFrom('users').select('guid').where('username', '=', 'admin').executeTakeFirstOrThrow();
      const issued = await taskd.ctx.tokens.issue({ userGuid: admin.guid, username: 'admin', scopes: tokenScopes(GLOBAL_SCOPES) });
      const res = await get(`bearer ${issued.access_token}`);
      assert.equal(res.statusCode, 200, res.body);
      assert.ok(isExposition(res.body));
    } finally {
      await taskd.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('metrics settings', () => {
  test('TASKD_METRICS_TOKEN and TASKD_METRICS_ADDRESS are read and checked', () => {
    const config = loadConfig({ env: { TASKD_METRICS_TOKEN: SCRAPE_TOKEN } });
    assert.equal(config.metricsToken, SCRAPE_TOKEN);
    assert.equal(config.metricsAddress, undefined);
    assert.deepEqual(loadConfig({ env: { TASKD_METRICS_ADDRESS: '10.0.0.5:9100' } }).metricsAddress, { host: '10.0.0.5', port: 9100 });
    assert.deepEqual(loadConfig({ env: { TASKD_METRICS_ADDRESS: '[::1]:9100' } }).metricsAddress, { host: '::1', port: 9100 });
    assert.deepEqual(loadConfig({ env: { TASKD_METRICS_ADDRESS: 'mgmt.internal:0' } }).metricsAddress, { host: 'mgmt.internal', port: 0 });
    for (const bad of ['9100', '10.0.0.5', '10.0.0.5:', ':9100', '::1:9100', '10.0.0.5:70000', 'a b:1']) {
      assert.throws(() => loadConfig({ env: { TASKD_METRICS_ADDRESS: bad } }), {
        message: `TASKD_METRICS_ADDRESS must be host:port (an IPv6 host in brackets), got '${bad}'`,
      });
    }
    // The message never repeats the token.
    for (const weak of ['short', 'sixteen chars ok']) {
      assert.throws(() => loadConfig({ env: { TASKD_METRICS_TOKEN: weak } }), {
        message: 'TASKD_METRICS_TOKEN must be at least 16 characters, without spaces',
      });
    }
    assert.throws(() => loadConfig({ env: { TASKD_METRICS_TOKEN: SCRAPE_TOKEN, TASKD_METRICS_ADDRESS: '127.0.0.1:9100' } }), {
      message: 'TASKD_METRICS_TOKEN has no use with TASKD_METRICS_ADDRESS (metrics there need no credential): set one or the other',
    });
  });
});
