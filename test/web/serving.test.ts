// Serving the dashboard: GET / answers browsers with the page and everyone else with CF's root
// document, unchanged; hashed assets are cached for good, the page never; an unbuilt dashboard
// leaves taskd an API that starts as before.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { Harness } from '../support/harness.js';
import { acceptsHtml, DASHBOARD_CSP, registerDashboard, sendDashboardPage } from '../../src/api/web.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

test('browsers name text/html; the cf CLI, curl and JSON clients do not', () => {
  assert.equal(acceptsHtml(BROWSER_ACCEPT), true);
  assert.equal(acceptsHtml('application/json'), false);
  assert.equal(acceptsHtml('*/*'), false);
  assert.equal(acceptsHtml(undefined), false);
  assert.equal(acceptsHtml('text/html;q=0, application/json'), false);
});

describe('a built dashboard', () => {
  let dist: string;
  let app: FastifyInstance;
  before(async () => {
    dist = mkdtempSync(path.join(tmpdir(), 'taskd-web-'));
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>taskd</title>');
    writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(path.join(dist, 'secret.txt'), 'outside the assets');
    app = Fastify();
    await registerDashboard(app, dist);
    app.get('/', (_request, reply) => sendDashboardPage(reply, app.dashboardPage!));
  });
  after(async () => {
    await app.close();
    rmSync(dist, { recursive: true, force: true });
  });

  test('serves hashed assets for a year, under the CSP', async () => {
    const res = await app.inject({ url: '/assets/index-abc123.js' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, 'console.log(1)');
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(res.headers['content-security-policy'], DASHBOARD_CSP);
  });

  test('the page is revalidated every time', async () => {
    const res = await app.inject({ url: '/' });
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.headers['content-security-policy'], DASHBOARD_CSP);
    assert.match(res.headers['content-type'] as string, /^text\/html/);
  });

  test('nothing outside the assets folder is reachable', async () => {
    for (const url of ['/assets/../secret.txt', '/assets/%2e%2e/secret.txt', '/assets/..%2fsecret.txt', '/secret.txt']) {
      const res = await app.inject({ url });
      assert.notEqual(res.body, 'outside the assets', url);
    }
  });
});

test('without a build, the server starts and / stays the API', async () => {
  const app = Fastify();
  await registerDashboard(app, path.join(tmpdir(), 'taskd-web-never-built'));
  assert.equal(app.dashboardPage, null);
  await app.close();
});

describe('GET / for API clients', () => {
  const h = new Harness('sqlite');
  before(() => h.start());
  after(() => h.stop());

  test('answers the same CF document whatever the non-HTML Accept', async () => {
    const plain = await h.request('GET', '/');
    for (const accept of ['application/json', '*/*', 'application/json, text/plain, */*']) {
      const res = await h.request('GET', '/', { headers: { accept } });
      assert.equal(res.text, plain.text, accept);
      assert.match(res.headers['content-type'] as string, /^application\/json/);
    }
    assert.ok(plain.body.links.cloud_controller_v3);
  });

  test('/favicon.ico is an icon, built dashboard or not, so a browser tab logs no 404', async () => {
    const res = await h.taskd.app.inject({ url: '/favicon.ico' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'image/x-icon');
    // An ICO header (reserved 0, type 1) holding at least one image.
    const icon = res.rawPayload;
    assert.deepEqual([icon.readUInt16LE(0), icon.readUInt16LE(2)], [0, 1]);
    assert.ok(icon.readUInt16LE(4) >= 1);
    assert.match(res.headers['cache-control'] as string, /max-age=\d+/);
  });

  test('a browser gets the dashboard when it is built, else the same CF document', async () => {
    const res = await h.request('GET', '/', { headers: { accept: BROWSER_ACCEPT } });
    assert.equal(res.status, 200);
    if (h.taskd.app.dashboardPage === null) assert.ok(res.body.links.cloud_controller_v3);
    else assert.equal(res.text, h.taskd.app.dashboardPage);
  });
});
