// URLs Fastify refuses before any route runs — undecodable percent-encoding, a path segment
// longer than any id — are answered in the envelope of the dialect the URL belongs to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore, type Harness } from '../support/harness.js';
import { sendRaw } from '../../reliability/fuzz/raw-http.js';

const LONG = 'x'.repeat(300);

describeEachStore('malformed URLs', (h) => {
  test('Cloud Foundry: 400 CF-InvalidRequest for bad encoding, 404 CF-NotFound for an overlong id', async () => {
    const bad = await h.get('/v3/tasks/%E0%A4%A');
    assert.equal(bad.status, 400, bad.text);
    assert.deepEqual(bad.body, { errors: [{ detail: 'The request is invalid', title: 'CF-InvalidRequest', code: 10004 }] });
    const long = await h.get(`/v3/tasks/${LONG}`);
    assert.equal(long.status, 404, long.text);
    assert.equal(long.body.errors[0].title, 'CF-NotFound');
  });

  test('Astra: problem+json', async () => {
    const res = await h.get(`/accounts/${LONG}/core/v1/tasks`);
    assert.equal(res.status, 404, res.text);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(res.body.status, '404');
    const bad = await h.get('/accounts/%E0%A4%A/core/v1/tasks');
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.body.type, /^https:\/\/astra\.netapp\.io\/problems\/\d+$/);
  });

  test("vSphere: each wire's own error envelope", async () => {
    const rest = await h.get(`/rest/cis/tasks/${LONG}`);
    assert.equal(rest.status, 404, rest.text);
    assert.equal(rest.body.type, 'com.vmware.vapi.std.errors.not_found');
    const api = await h.get('/api/cis/tasks/%E0%A4%A');
    assert.equal(api.status, 400, api.text);
    assert.equal(api.body.error_type, 'INVALID_ARGUMENT');
  });

  test('Dbvisit: its envelope', async () => {
    const res = await h.request('POST', '/task/%E0%A4%A', { body: {} });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.successful, false);
    assert.equal(typeof res.body.error.message, 'string');
  });
});

/**
 * Raw bytes a request line may not hold (found by the hostile-input check): Node's HTTP parser
 * refuses them before Fastify runs, and the answer was Fastify's own {"error","message",
 * "statusCode"}. Sent over a real socket, since inject() bypasses the parser.
 */
describeEachStore('request lines Node cannot parse', (h) => {
  let port = 0;
  const raw = async (path: string) => {
    if (!port) port = await listen(h);
    const target = Buffer.concat([Buffer.from(path, 'latin1'), Buffer.from([0xff, 0xfe]), Buffer.from('x')]);
    const res = await sendRaw(port, { method: 'GET', target, headers: [] }, 10_000);
    return { status: res.status, type: res.headers['content-type'], body: JSON.parse(res.body.toString('utf8')) };
  };

  test('Cloud Foundry: 400 CF-InvalidRequest', async () => {
    const res = await raw('/v3/tasks/');
    assert.equal(res.status, 400);
    assert.equal(res.type, 'application/json');
    assert.deepEqual(res.body, { errors: [{ detail: 'The request is invalid', title: 'CF-InvalidRequest', code: 10004 }] });
  });

  test('Astra: problem+json', async () => {
    const res = await raw('/accounts/');
    assert.equal(res.status, 400);
    assert.equal(res.type, 'application/problem+json');
    assert.equal(res.body.status, '400');
    assert.equal(res.body.type, 'https://astra.netapp.io/problems/5');
  });

  test("vSphere: each wire's envelope", async () => {
    const rest = await raw('/rest/cis/tasks/');
    assert.equal(rest.status, 400);
    assert.equal(rest.body.type, 'com.vmware.vapi.std.errors.invalid_argument');
    const api = await raw('/api/cis/tasks?filter_spec.tasks=');
    assert.equal(api.status, 400);
    assert.equal(api.body.error_type, 'INVALID_ARGUMENT');
  });

  test('headers past the 16 KiB limit: 431 in the envelope of the path', async () => {
    if (!port) port = await listen(h);
    const send = (path: string) => sendRaw(port, { method: 'GET', target: `${path}${'q'.repeat(20_000)}`, headers: [] }, 10_000);
    const cf = await send('/v3/tasks?names=');
    assert.equal(cf.status, 431);
    assert.equal(JSON.parse(cf.body.toString()).errors[0].title, 'CF-InvalidRequest');
    const dbvisit = await send('/task/list?x=');
    assert.equal(dbvisit.status, 431);
    assert.equal(JSON.parse(dbvisit.body.toString()).successful, false);
  });

  test('Dbvisit: its envelope', async () => {
    const res = await raw('/task/show?x=');
    assert.equal(res.status, 400);
    assert.equal(res.body.successful, false);
    assert.match(res.body.error.message, /the request is invalid/);
  });
});

async function listen(h: Harness): Promise<number> {
  await h.taskd.app.listen({ host: '127.0.0.1', port: 0 });
  return (h.taskd.app.server.address() as import('node:net').AddressInfo).port;
}
