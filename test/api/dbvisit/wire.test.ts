// The Dbvisit dialect's wire rules (specs/dialects.md §3.2, §3.5, §5): authentication by HTTP
// Basic or Bearer, its {successful:false,error:{message}} envelope for every refusal, 400 for bad
// bodies and parameters, 404 for unknown paths, 405 for methods other than POST.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../../support/harness.js';
import { appInNewSpace, seedTask } from '../../support/tasks.js';
import { adminBasic, assertDbvisitError, assertSuccess, basicAuth, basicOf, dbvisit, SEEDED_ONLY } from './helpers.js';

// One taskd per store for these suites: each test makes what it needs, and none needs a fresh
// taskd (a start costs a second or two on a loaded machine).
describeEachStore(
  'Dbvisit wire',
  (h) => {
    describe('Dbvisit wire: authentication', () => {
      test('no credentials: 401 in the Dbvisit envelope, naming the schemes to use', async () => {
        const res = await dbvisit(h, '/task/list', undefined);
        assertDbvisitError(res, 401, /authentication required/);
        assert.equal(res.headers['www-authenticate'], 'Basic realm="taskd", Bearer realm="taskd"');
      });

      test('HTTP Basic with a taskd username and password is accepted', async () => {
        const user = await h.user();
        assertSuccess(await dbvisit(h, '/task/list', basicOf(user)));
        assertSuccess(await dbvisit(h, '/task/list', adminBasic(h)));
      });

      test('a wrong password, an unknown user or malformed Basic credentials: 401', async () => {
        const user = await h.user();
        assertDbvisitError(await dbvisit(h, '/task/list', basicAuth(user.username, 'wrong')), 401, /authentication failed/);
        assertDbvisitError(await dbvisit(h, '/task/list', basicAuth('nobody-here', 'pw')), 401, /authentication failed/);
        assertDbvisitError(await dbvisit(h, '/task/list', `Basic ${Buffer.from('no-colon').toString('base64')}`), 401);
        assertDbvisitError(await dbvisit(h, '/task/list', 'Basic'), 401);
      });

      test('a Bearer access token of the CF API is accepted; a bad one is 401', async () => {
        const user = await h.user();
        assertSuccess(await dbvisit(h, '/task/list', `Bearer ${user.token}`));
        assertDbvisitError(await dbvisit(h, '/task/list', 'Bearer not-a-token'), 401, /authentication failed/);
        assertDbvisitError(await dbvisit(h, '/task/list', 'Digest something'), 401);
      });

      test("a running task's own token is for the CF routes about itself, not this API: 403", async () => {
        const { app } = await appInNewSpace(h);
        const task = await seedTask(h, app.guid, { state: 'RUNNING', created_by: h.admin.guid });
        const token = await h.taskd.ctx.tokens.taskToken({
          guid: task.guid,
          appGuid: app.guid,
          createdBy: h.admin.guid,
          timeoutSeconds: null,
        });
        assert.equal((await h.get(`/v3/tasks/${task.guid}`, token)).status, 200, 'the token itself is good');
        assertDbvisitError(await dbvisit(h, '/task/show', `Bearer ${token}`, { params: { task_id: task.id } }), 403, /not allowed/);
      });

      test('authentication is checked before the body: bad JSON without credentials is 401', async () => {
        const res = await h.request('POST', '/task/list', { payload: '{nope', headers: { 'content-type': 'application/json' } });
        assertDbvisitError(res, 401);
      });
    });
    describe('Dbvisit wire: bodies and parameters', () => {
      const send = (path: string, payload: string, contentType = 'application/json') =>
        h.request('POST', path, { payload, headers: { 'content-type': contentType, authorization: adminBasic(h) } });

      test('malformed JSON is 400', async () => {
        assertDbvisitError(await send('/task/list', '{"params":'), 400, 'the request body is not valid JSON');
        assertDbvisitError(await send('/task/show', 'null,'), 400, 'the request body is not valid JSON');
      });

      test('JSON nested 100,000 deep is a 400 request error, not a 500', async () => {
        // Found by the hostile-input check: the NUL scan of parsed bodies overflowed the call stack.
        const deep = '['.repeat(100_000) + ']'.repeat(100_000);
        assertDbvisitError(await send('/task/list', `{"params":${deep}}`), 400, 'params must be a JSON object');
        assertDbvisitError(await send('/task/dismiss', deep), 400);
      });

      test('a body that is not JSON is 400', async () => {
        assertDbvisitError(
          await send('/task/list', 'params=1', 'application/x-www-form-urlencoded'),
          400,
          'unsupported Content-Type: send application/json',
        );
        assertDbvisitError(await send('/task/list', '{"params":{}}', 'text/plain'), 400, 'unsupported Content-Type: send application/json');
      });

      test('a body without a Content-Type, or too large, is 400', async () => {
        const res = await h.request('POST', '/task/list', { payload: '{"params":{}}', headers: { authorization: adminBasic(h) } });
        assertDbvisitError(res, 400, 'unsupported Content-Type: send application/json');
        assertDbvisitError(
          await send('/task/list', `{"params":{},"padding":"${'x'.repeat(h.config.maxBodyBytes)}"}`),
          400,
          'the request body is larger than this server accepts',
        );
      });

      test('an empty body is an empty call; application/json with a charset is JSON', async () => {
        assertSuccess(await h.request('POST', '/task/list', { headers: { authorization: adminBasic(h) } }));
        assertSuccess(await send('/task/list', '', 'application/json'));
        assertSuccess(await send('/task/list', '{"params":{"show_hidden":true}}', 'application/json; charset=utf-8'));
        assertDbvisitError(
          await h.request('POST', '/task/show', { headers: { authorization: adminBasic(h) } }),
          400,
          'params.task_id is required',
        );
      });

      test('the body and params must be objects with known fields only', async () => {
        assertDbvisitError(await send('/task/list', '[]'), 400, 'the request body must be a JSON object: {"params":{…}}');
        assertDbvisitError(await send('/task/list', '"params"'), 400, 'the request body must be a JSON object: {"params":{…}}');
        assertDbvisitError(await send('/task/list', '{"params":[1]}'), 400, 'params must be a JSON object');
        assertDbvisitError(await send('/task/list', '{"params":"x"}'), 400, 'params must be a JSON object');
        assertDbvisitError(
          await send('/task/list', '{"params":{},"id":1}'),
          400,
          'unknown field in the request body: id (only "params" is accepted)',
        );
        assertDbvisitError(
          await send('/task/list', '{"params":{"configuration":1}}'),
          400,
          'unknown parameter: params.configuration (accepted: configuration_id, show_hidden)',
        );
        assertDbvisitError(
          await send('/task/show', '{"params":{"task_id":1,"show_hidden":true}}'),
          400,
          'unknown parameter: params.show_hidden (accepted: task_id)',
        );
      });

      test('configuration_id must be a non-negative integer', async () => {
        for (const bad of ['"1"', '-1', '1.5', 'true', 'null', '{}']) {
          assertDbvisitError(
            await send('/task/list', `{"params":{"configuration_id":${bad}}}`),
            400,
            'params.configuration_id must be a non-negative integer',
          );
        }
      });

      test('show_hidden must be a boolean', async () => {
        for (const bad of ['"true"', '1', 'null']) {
          assertDbvisitError(
            await send('/task/list', `{"params":{"show_hidden":${bad}}}`),
            400,
            'params.show_hidden must be a boolean (true or false)',
          );
        }
      });

      test('task_id is required and must be a non-negative integer', async () => {
        for (const path of ['/task/show', '/task/dismiss']) {
          assertDbvisitError(await send(path, '{"params":{}}'), 400, 'params.task_id is required');
          assertDbvisitError(await send(path, '{}'), 400, 'params.task_id is required');
          for (const bad of ['"7"', '-7', '7.5', 'false', 'null', '[7]']) {
            assertDbvisitError(await send(path, `{"params":{"task_id":${bad}}}`), 400, 'params.task_id must be a non-negative integer');
          }
        }
      });

      test('an unknown task id, however large, is 400 not found', async () => {
        assertDbvisitError(await send('/task/show', '{"params":{"task_id":987654321}}'), 400, 'task 987654321 not found');
        assertDbvisitError(await send('/task/show', '{"params":{"task_id":0}}'), 400, 'task 0 not found');
        assertDbvisitError(await send('/task/show', '{"params":{"task_id":9223372036854775807}}'), 400, /^task \d+ not found$/);
        assertDbvisitError(await send('/task/dismiss', '{"params":{"task_id":987654321}}'), 400, 'task 987654321 not found');
      });

      test('an unknown configuration_id lists nothing, however large', async () => {
        for (const id of ['987654321', '9223372036854775807']) {
          const res = await send('/task/list', `{"params":{"configuration_id":${id}}}`);
          assertSuccess(res);
          assert.deepEqual(res.body.result, { tasks: [] });
        }
      });
    });
    describe('Dbvisit wire: paths and methods', () => {
      test('methods other than POST on the task paths: 405 with Allow: POST', async () => {
        for (const [method, path] of [
          ['GET', '/task/list'],
          ['PUT', '/task/show'],
          ['DELETE', '/task/dismiss'],
          ['PATCH', '/task/list'],
          ['OPTIONS', '/task/show'],
        ]) {
          const res = await h.request(method, path, { headers: { authorization: adminBasic(h) } });
          assertDbvisitError(res, 405, `method ${method} is not allowed on ${path}: use POST`);
          assert.equal(res.headers.allow, 'POST');
        }
      });

      test('unknown paths under /task: 404 in the envelope, with or without credentials', async () => {
        assertDbvisitError(await dbvisit(h, '/task/hide', adminBasic(h)), 404, 'unknown path: POST /task/hide');
        assertDbvisitError(await dbvisit(h, '/task/list/extra', undefined), 404, 'unknown path: POST /task/list/extra');
        assertDbvisitError(await h.request('GET', '/task', {}), 404, 'unknown path: GET /task');
      });

      test('the task paths are served only under /task', async () => {
        const res = await dbvisit(h, '/api/task/list', adminBasic(h));
        assert.notEqual(res.body?.successful, true);
      });
    });
  },
  SEEDED_ONLY,
);
