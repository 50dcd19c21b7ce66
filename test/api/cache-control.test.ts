// Cache-Control: no-store on every API answer, in every dialect, errors included: they carry
// tokens, environment variables and task output, which no browser or proxy cache may keep. The
// dashboard's hashed assets keep their year-long caching.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { describeEachStore } from '../support/harness.js';
import { appInNewSpace, seedTask } from '../support/tasks.js';
import { sendSecurityHeaders } from '../../src/api/response-headers.js';
import { registerDashboard } from '../../src/api/web.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describeEachStore('Cache-Control: no-store', (h) => {
  test('a task, an app environment and a token response are not to be stored', async () => {
    const { app } = await appInNewSpace(h);
    const task = await seedTask(h, app.guid);
    const taskRes = await h.get(`/v3/tasks/${task.guid}`);
    assert.equal(taskRes.status, 200);
    assert.equal(taskRes.headers['cache-control'], 'no-store');

    await h.patch(`/v3/apps/${app.guid}/environment_variables`, { var: { DATABASE_PASSWORD: 'hunter2' } });
    const env = await h.get(`/v3/apps/${app.guid}/environment_variables`);
    assert.equal(env.status, 200);
    assert.equal(env.body.var.DATABASE_PASSWORD, 'hunter2');
    assert.equal(env.headers['cache-control'], 'no-store');

    const token = await h.request('POST', '/oauth/token', {
      headers: { authorization: basic('cf', ''), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'password', username: 'admin', password: h.adminPassword }).toString(),
    });
    assert.equal(token.status, 200);
    assert.equal(token.headers['cache-control'], 'no-store');
  });

  test('every dialect, its errors and the not-found answers too', async () => {
    const admin = basic('admin', h.adminPassword);
    const answers = [
      await h.get('/v3/organizations'),
      await h.request('GET', '/v3/organizations'),
      await h.get('/v3/no-such-thing'),
      await h.request('GET', '/v3/info'),
      await h.request('GET', '/accounts/no-such-account/core/v1/tasks', { token: h.admin.token }),
      await h.request('GET', '/api/cis/tasks'),
      await h.request('POST', '/api/session', { headers: { authorization: admin } }),
      await h.request('POST', '/task/list', { headers: { authorization: admin } }),
      await h.request('GET', '/healthz'),
    ];
    for (const res of answers) assert.equal(res.headers['cache-control'], 'no-store', `${res.status} ${res.text.slice(0, 100)}`);
  });
});

describe('the dashboard', () => {
  let dist: string;
  let app: FastifyInstance;
  before(async () => {
    dist = mkdtempSync(path.join(tmpdir(), 'taskd-web-'));
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>taskd</title>');
    writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    app = Fastify();
    sendSecurityHeaders(app, {});
    await registerDashboard(app, dist);
  });
  after(async () => {
    await app.close();
    rmSync(dist, { recursive: true, force: true });
  });

  test('keeps the caching of its hashed assets', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
  });
});
