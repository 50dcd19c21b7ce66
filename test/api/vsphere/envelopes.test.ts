import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../../support/harness.js';
import { apiError, call, fixtureSession, restError } from './helpers.js';

describeEachStore('vSphere envelopes for what is not there and what cannot be read', (h) => {
  test('unknown paths and methods under /rest and /api are 404 in that envelope', async () => {
    const session = await fixtureSession(h);
    restError(await call(h, 'GET', '/rest/cis/nothing', session), 404, 'not_found', 'No operation GET /rest/cis/nothing');
    restError(await call(h, 'PUT', '/rest/cis/tasks', session), 404, 'not_found');
    restError(await call(h, 'GET', '/rest/com/vmware/cis/session', undefined), 404, 'not_found');
    apiError(await call(h, 'GET', '/api/vcenter/vm', session), 404, 'NOT_FOUND', 'No operation GET /api/vcenter/vm');
    apiError(await call(h, 'DELETE', '/api/cis/tasks/x', session), 404, 'NOT_FOUND');
    // The CF API keeps its own envelope.
    assert.ok(Array.isArray((await h.get('/v3/nothing')).body.errors));
  });

  test('an error message carries an id, the message and its args', async () => {
    const res = await call(h, 'GET', '/rest/cis/tasks/missing-one', await fixtureSession(h));
    assert.deepEqual(res.body, {
      type: 'com.vmware.vapi.std.errors.not_found',
      value: { messages: [{ id: 'taskd.error.not_found', default_message: 'Task missing-one not found', args: ['missing-one'] }] },
    });
    const api = await call(h, 'GET', '/api/cis/tasks/missing-one', await fixtureSession(h));
    assert.deepEqual(api.body, {
      error_type: 'NOT_FOUND',
      messages: [{ id: 'taskd.error.not_found', default_message: 'Task missing-one not found', args: ['missing-one'] }],
    });
  });

  test('odd bodies and content types never end in a 500', async () => {
    const session = await fixtureSession(h);
    const post = (url: string, payload: string, type: string) =>
      h.request('POST', url, { headers: { 'vmware-api-session-id': session, 'content-type': type }, payload });
    apiError(await post('/api/cis/tasks?action=list', '<xml/>', 'application/xml'), 400, 'INVALID_ARGUMENT', 'not valid JSON');
    apiError(await post('/api/cis/tasks?action=list', '{"filter_spec":', 'text/plain'), 400, 'INVALID_ARGUMENT', 'not valid JSON');
    // Session and cancel POSTs ignore a body, as clients send them with a JSON type and none.
    const create = await h.request('POST', '/rest/com/vmware/cis/session', {
      headers: { authorization: `Basic ${Buffer.from(`admin:${h.adminPassword}`).toString('base64')}`, 'content-type': 'application/json' },
    });
    assert.equal(create.status, 200, create.text);
    const oversized = await post(
      '/api/cis/tasks?action=list',
      JSON.stringify({ filter_spec: { tasks: ['x'.repeat(h.config.maxBodyBytes)] } }),
      'application/json',
    );
    apiError(oversized, 400, 'INVALID_ARGUMENT', 'larger than this server accepts');
  });

  test('NUL characters in ids, filters and user names are answered in the envelope (PostgreSQL text cannot hold them)', async () => {
    const session = await fixtureSession(h);
    restError(await call(h, 'GET', '/rest/cis/tasks/a%00b', session), 404, 'not_found');
    restError(await call(h, 'POST', '/rest/cis/tasks/a%00b?action=cancel', session), 404, 'not_found');
    restError(
      await call(h, 'GET', '/rest/cis/tasks?filter_spec.services=taskd.task&filter_spec.users=a%00', session),
      400,
      'invalid_argument',
      'NUL',
    );
    apiError(
      await call(h, 'POST', '/api/cis/tasks?action=list', session, { filter_spec: { tasks: ['a\u0000'] } }),
      400,
      'INVALID_ARGUMENT',
      'NUL',
    );
    const login = await h.request('POST', '/api/session', {
      headers: { authorization: `Basic ${Buffer.from('ad\u0000min:x').toString('base64')}` },
    });
    apiError(login, 401, 'UNAUTHENTICATED');
  });
});
