// The OpenAPI document (GET /openapi.json) and the docs page (/docs). The document does not
// depend on the store, so one SQLite-backed taskd is enough.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Harness } from '../support/harness.js';

const CF = 'Cloud Foundry v3';
const ASTRA = 'NetApp Astra';
const VSPHERE = 'vSphere Automation';
const DBVISIT = 'Dbvisit StandbyMP';
const LOG_CACHE = 'Log Cache';

/** The endpoints the specs name (cf-v3-tasks.md §1, §11; dialects.md §1.1, §2.1, §3.1, §5). */
const SPEC_ENDPOINTS: [method: string, path: string, tag: string][] = [
  ['get', '/v3/tasks', CF],
  ['get', '/v3/apps/{guid}/tasks', CF],
  ['post', '/v3/apps/{guid}/tasks', CF],
  ['get', '/v3/tasks/{guid}', CF],
  ['patch', '/v3/tasks/{guid}', CF],
  ['post', '/v3/tasks/{guid}/actions/cancel', CF],
  ['put', '/v3/tasks/{guid}/cancel', CF],
  ['post', '/oauth/token', CF],
  ['get', '/', CF],
  ['get', '/v3', CF],
  ['get', '/accounts/{account_id}/core/v1/tasks', ASTRA],
  ['get', '/accounts/{account_id}/core/v1/tasks/{task_id}', ASTRA],
  ['get', '/rest/cis/tasks', VSPHERE],
  ['get', '/rest/cis/tasks/{task}', VSPHERE],
  ['post', '/rest/cis/tasks/{task}', VSPHERE],
  ['post', '/rest/com/vmware/cis/session', VSPHERE],
  ['delete', '/rest/com/vmware/cis/session', VSPHERE],
  ['post', '/api/cis/tasks', VSPHERE],
  ['get', '/api/cis/tasks', VSPHERE],
  ['get', '/api/cis/tasks/{task}', VSPHERE],
  ['post', '/api/cis/tasks/{task}', VSPHERE],
  ['post', '/api/session', VSPHERE],
  ['get', '/api/session', VSPHERE],
  ['delete', '/api/session', VSPHERE],
  ['post', '/task/list', DBVISIT],
  ['post', '/task/show', DBVISIT],
  ['post', '/task/dismiss', DBVISIT],
  ['get', '/api/v1/info', LOG_CACHE],
  ['get', '/api/v1/read/{source_id}', LOG_CACHE],
];

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function operations(doc: any): { method: string; path: string; op: any }[] {
  return Object.entries<any>(doc.paths).flatMap(([path, item]) =>
    Object.entries<any>(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op })),
  );
}

describe('OpenAPI document and docs page', () => {
  const h = new Harness('sqlite');
  let doc: any;
  before(async () => {
    await h.start();
    const res = await h.request('GET', '/openapi.json');
    assert.equal(res.status, 200, res.text);
    doc = res.body;
  });
  after(() => h.stop());

  test('GET /openapi.json is public JSON, even with a bad token, and validates as OpenAPI 3', async () => {
    const res = await h.request('GET', '/openapi.json', { headers: { authorization: 'bearer not-a-token' } });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.match(res.body.openapi, /^3\./);
    const result = await new Validator().validate(res.body);
    assert.ok(result.valid, `not valid OpenAPI: ${JSON.stringify(result.errors, null, 2)}`);
  });

  test('the document names taskd, its version, the four APIs and log cache', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    assert.equal(doc.info.title, 'taskd');
    assert.equal(doc.info.version, pkg.version);
    assert.deepEqual(
      doc.tags.map((t: any) => t.name),
      [CF, LOG_CACHE, ASTRA, VSPHERE, DBVISIT],
    );
    for (const tag of doc.tags) assert.ok(tag.description.length > 20, `tag ${tag.name} explains its dialect`);
  });

  test('every endpoint of every dialect appears, grouped under its dialect', () => {
    const missing = SPEC_ENDPOINTS.filter(([method, path]) => !doc.paths[path]?.[method]).map(([m, p]) => `${m.toUpperCase()} ${p}`);
    assert.deepEqual(missing, [], 'endpoints missing from the document');
    for (const [method, path, tag] of SPEC_ENDPOINTS) assert.deepEqual(doc.paths[path][method].tags, [tag], `${method} ${path}`);
  });

  test('each operation sits in exactly one dialect group, the one its URL belongs to', () => {
    const expected = (path: string) =>
      path.startsWith('/accounts/')
        ? ASTRA
        : path.startsWith('/api/v1/')
          ? LOG_CACHE
          : /^\/(rest|api)\//.test(path)
            ? VSPHERE
            : path.startsWith('/task/')
              ? DBVISIT
              : CF;
    for (const { method, path, op } of operations(doc)) assert.deepEqual(op.tags, [expected(path)], `${method} ${path}`);
  });

  test('no HEAD twins, no docs routes, and no methods that only answer 405', () => {
    const ops = operations(doc);
    assert.deepEqual(
      ops.filter((o) => o.method === 'head').map((o) => o.path),
      [],
    );
    assert.deepEqual(
      ops.filter((o) => /^\/(docs|openapi\.json)/.test(o.path)).map((o) => o.path),
      [],
    );
    assert.deepEqual(Object.keys(doc.paths['/accounts/{account_id}/core/v1/tasks']), ['get']);
  });

  test("routes' own schemas reach the document", () => {
    const params = (path: string, method: string) => doc.paths[path][method].parameters.map((p: any) => `${p.in}:${p.name}`);
    assert.ok(params('/v3/apps/{guid}/tasks', 'get').includes('path:guid'));
    const astraList = params('/accounts/{account_id}/core/v1/tasks', 'get');
    for (const name of ['query:filter', 'query:include', 'query:limit', 'query:continue', 'path:account_id'])
      assert.ok(astraList.includes(name), name);
    assert.ok(params('/rest/cis/tasks', 'get').includes('query:filter_spec.tasks'));
    assert.ok(doc.paths['/api/cis/tasks'].post.requestBody.content['application/json'].schema.properties.filter_spec);
    assert.ok(doc.paths['/task/show'].post.requestBody.content['application/json'].schema.properties.params);
  });

  test("taskd's own additions are marked as extensions, the originals are not", () => {
    const extensions = [
      ['post', '/v3/tasks/{guid}/actions/pause'],
      ['post', '/v3/tasks/{guid}/actions/resume'],
      ['get', '/v3/tasks/{guid}/log'],
      ['get', '/api/cis/tasks'],
      ['post', '/task/dismiss'],
    ];
    for (const [method, path] of extensions) {
      const op = doc.paths[path]?.[method];
      assert.equal(op?.['x-taskd-extension'], true, `${method} ${path}`);
      assert.match(op.description, /^taskd extension: not part of the .+ API\./);
    }
    const originals = [
      ['get', '/v3/tasks'],
      ['post', '/v3/tasks/{guid}/actions/cancel'],
      ['post', '/api/cis/tasks'],
      ['post', '/task/list'],
    ];
    for (const [method, path] of originals) assert.equal(doc.paths[path][method]['x-taskd-extension'], undefined, `${method} ${path}`);
  });

  test('the document says how each dialect authenticates', () => {
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['basicPassword', 'bearerToken', 'vsphereSession']);
    assert.deepEqual(doc.paths['/v3/tasks'].get.security, [{ bearerToken: [] }]);
    assert.deepEqual(doc.paths['/oauth/token'].post.security, []);
    assert.deepEqual(doc.paths['/api/session'].post.security, [{ basicPassword: [] }]);
    assert.deepEqual(doc.paths['/api/v1/read/{source_id}'].get.security, [{ bearerToken: [] }]);
    assert.deepEqual(doc.paths['/api/v1/info'].get.security, []);
    assert.deepEqual(doc.paths['/api/cis/tasks/{task}'].get.security, [{ vsphereSession: [] }]);
  });

  test('GET /docs is an HTML page that needs no network: every asset it loads is served by taskd', async () => {
    const res = await h.request('GET', '/docs');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.doesNotMatch(res.text, /https?:\/\//, 'the page must not load anything from elsewhere (no CDN)');
    const assets = [...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(
      assets.some((a) => a.endsWith('.js')),
      'the page loads its scripts',
    );
    for (const asset of assets) {
      const served = await h.request('GET', new URL(asset, 'http://taskd/docs').pathname);
      assert.equal(served.status, 200, asset);
    }
  });

  test('the docs page reads the same document, from taskd itself', async () => {
    const init = await h.request('GET', '/docs/static/swagger-initializer.js');
    assert.equal(init.status, 200);
    const code = init.text
      .split('\n')
      .filter((line) => !/^\s*\/\//.test(line))
      .join('\n');
    assert.doesNotMatch(code, /https?:\/\//, 'no remote document or online validator');
    const json = await h.request('GET', '/docs/json');
    assert.deepEqual(json.body, doc);
  });
});
