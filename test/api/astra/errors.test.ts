import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describeEachStore } from '../../support/harness.js';
import { appInNewSpace, seedTask } from '../../support/tasks.js';
import { assertProblem, astraGet, taskPath, tasksPath } from './helpers.js';

describeEachStore(
  'Astra tasks: authentication, accounts, methods and unknown paths',
  (h) => {
    test('no Authorization header is problem 3; a bad or non-bearer token problem 4', async () => {
      const { org } = await appInNewSpace(h);
      assertProblem(await astraGet(h, tasksPath(org.guid), null), 3);
      assertProblem(await astraGet(h, tasksPath(org.guid), 'not-a-token'), 4);
      assertProblem(await astraGet(h, taskPath(org.guid, randomUUID()), null), 3);
      const basic = await h.request('GET', tasksPath(org.guid), { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
      assertProblem(basic, 4);
    });

    test('authentication comes before anything else about the request', async () => {
      assertProblem(await astraGet(h, tasksPath('not-a-uuid', 'bogus=1'), null), 3);
    });

    test("a running task's own token opens nothing here: problem 11", async () => {
      const { org, app } = await appInNewSpace(h);
      const task = await seedTask(h, app.guid, { state: 'RUNNING', created_by: h.admin.guid });
      const token = await h.taskd.ctx.tokens.taskToken({
        guid: task.guid,
        appGuid: app.guid,
        createdBy: h.admin.guid,
        timeoutSeconds: null,
      });
      assertProblem(await astraGet(h, tasksPath(org.guid), token), 11);
      assertProblem(await astraGet(h, taskPath(org.guid, task.guid), token), 11);
    });

    test('a token without a read scope is problem 11', async () => {
      const { org } = await appInNewSpace(h);
      const { access_token } = await h.taskd.ctx.tokens.issue({
        userGuid: h.admin.guid,
        username: 'admin',
        scopes: ['cloud_controller.write'],
      });
      assertProblem(await astraGet(h, tasksPath(org.guid), access_token), 11);
    });

    test('an account id that is not a UUID is problem 33', async () => {
      assertProblem(await astraGet(h, tasksPath('my-account')), 33);
      assertProblem(await astraGet(h, taskPath('12345', randomUUID())), 33);
    });

    test('an unknown account and one the caller cannot read are both problem 18', async () => {
      const { org } = await appInNewSpace(h);
      const stranger = await h.user();
      assertProblem(await astraGet(h, tasksPath(randomUUID())), 18);
      assertProblem(await astraGet(h, tasksPath(org.guid), stranger.token), 18);
      assertProblem(await astraGet(h, taskPath(org.guid, randomUUID()), stranger.token), 18);
    });

    test('every other method on the task paths is problem 69 with Allow: GET, HEAD', async () => {
      const { org, app } = await appInNewSpace(h);
      const task = await seedTask(h, app.guid);
      for (const url of [tasksPath(org.guid), taskPath(org.guid, task.guid)]) {
        for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
          const res = await h.request(method, url, {
            token: h.admin.token,
            payload: '{not json',
            headers: { 'content-type': 'application/json' },
          });
          assertProblem(res, 69);
          assert.equal(res.headers.allow, 'GET, HEAD');
        }
      }
      // The task is untouched.
      assert.equal((await astraGet(h, taskPath(org.guid, task.guid))).body.state, 'running');
    });

    test('HEAD answers as GET does, without a body', async () => {
      const { org } = await appInNewSpace(h);
      const res = await h.request('HEAD', tasksPath(org.guid), { headers: { authorization: `Bearer ${h.admin.token}` } });
      assert.equal(res.status, 200);
      assert.equal(res.text, '');
    });

    test('unknown paths under /accounts are an Astra problem 1, not an HTML page or a CF error', async () => {
      const { org } = await appInNewSpace(h);
      for (const url of [
        `/accounts/${org.guid}/core/v1/apps`,
        `/accounts/${org.guid}/core/v2/tasks`,
        '/accounts',
        `/accounts/${org.guid}/core/v1/tasks/a/b`,
      ]) {
        assertProblem(await astraGet(h, url), 1);
      }
    });

    test('a list of an unsupported media type is problem 32; the collection type is echoed', async () => {
      const { org } = await appInNewSpace(h);
      assertProblem(await astraGet(h, tasksPath(org.guid), h.admin.token, { accept: 'application/xml' }), 32);
      const own = await astraGet(h, tasksPath(org.guid), h.admin.token, { accept: 'application/astra-tasks+json' });
      assert.equal(own.status, 200);
      assert.match(String(own.headers['content-type']), /^application\/astra-tasks\+json/);
      const json = await astraGet(h, tasksPath(org.guid), h.admin.token, { accept: 'application/json, text/plain;q=0.5' });
      assert.match(String(json.headers['content-type']), /^application\/json/);
    });

    test('malformed input of every kind is a 4xx problem, never a 500', async () => {
      const { org } = await appInNewSpace(h);
      const bad = [
        tasksPath(org.guid, 'filter=%27'),
        tasksPath(org.guid, "filter=state eq 'x'''"),
        tasksPath(org.guid, 'limit=1e3'),
        tasksPath(org.guid, 'continue=%00%01'),
        tasksPath(org.guid, 'include=%E2%82%AC'),
        tasksPath(org.guid, 'filter[a]=b'),
        tasksPath(org.guid, "filter=metadata.creationTimestamp gt '2024-99-01T00:00:00Z'"),
      ];
      for (const url of bad) {
        const res = await astraGet(h, url);
        assert.ok(res.status >= 400 && res.status < 500, `${url}: ${res.status} ${res.text}`);
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/, `${url}: ${res.text}`);
        assert.ok(!res.text.includes('    at '), 'no stack trace');
      }
    });
  },
  { runnerSlots: 0 },
);

describeEachStore(
  'Astra tasks: an unexpected failure',
  (h) => {
    test('is problem 34 in the problem envelope, logged, with no stack trace in the answer', async () => {
      const { org, app } = await appInNewSpace(h);
      await seedTask(h, app.guid);
      // Labels are read with every page: without their table, the list fails as a broken store would.
      await h.db.schema.dropTable('metadata').execute();
      const logged: unknown[] = [];
      const original = console.error;
      console.error = (...args: unknown[]) => void logged.push(args);
      try {
        const res = await astraGet(h, tasksPath(org.guid));
        assert.equal(res.status, 500);
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
        assert.deepEqual(res.body, {
          type: 'https://astra.netapp.io/problems/34',
          title: 'Internal server error',
          detail: 'The server was unable to process this request.',
          status: '500',
        });
      } finally {
        console.error = original;
      }
      assert.equal(logged.length, 1, 'the failure is logged');
    });
  },
  { runnerSlots: 0 },
);
