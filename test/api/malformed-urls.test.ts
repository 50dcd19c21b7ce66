// URLs Fastify refuses before any route runs — undecodable percent-encoding, a path segment
// longer than any id — are answered in the envelope of the dialect the URL belongs to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/harness.js';

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

  test('vSphere: each wire\'s own error envelope', async () => {
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
