import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore } from '../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';
import { labelTask, seedTask, appInNewSpace } from '../support/tasks.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';

export const TASK_KEYS = [
  'guid',
  'created_at',
  'updated_at',
  'sequence_id',
  'name',
  'command',
  'user',
  'state',
  'memory_in_mb',
  'disk_in_mb',
  'log_rate_limit_in_bytes_per_second',
  'result',
  'droplet_guid',
  'relationships',
  'metadata',
  'links',
  // taskd extensions, after CF's fields
  'progress',
  'latest_message',
  'parent_task_guid',
  'timeout_in_seconds',
  'taskd_state',
];
const REDACTED_KEYS = TASK_KEYS.filter((k) => k !== 'command');

/** Spec §8: who sees a task (show and an app's list), and whether with its command. */
const READ: Record<RoleName, 'command' | 'no command' | 404> = {
  admin: 'command',
  admin_read_only: 'command',
  global_auditor: 'no command',
  org_manager: 'no command',
  org_auditor: 404,
  space_developer: 'command',
  space_manager: 'no command',
  space_auditor: 'no command',
  space_supporter: 'no command',
  no_role: 404,
};

describeEachStore(
  'GET /v3/tasks/:guid',
  (h) => {
    const matrix = sharedRoleMatrix(h);

    test('shows a task in CF field order with every field and link', async () => {
      const { app, droplet } = await appWithCurrentDroplet(h, (await h.space((await h.org()).guid)).guid);
      const task = await seedTask(h, app.guid, {
        name: 'migrate',
        command: 'bin/rake db:migrate',
        state: 'FAILED',
        failure_reason: 'Exited with status 1',
        memory_in_mb: 256,
        disk_in_mb: 512,
        log_rate_limit: 1048576,
        created_at: '2024-03-01T10:20:30.456Z',
        updated_at: '2024-03-01T10:21:00.999Z',
      });
      await labelTask(h, task, { env: 'prod', 'example.com/team': 'data' });
      await h.db
        .insertInto('metadata')
        .values({
          resource_kind: 'task',
          resource_id: task.id,
          metadata_kind: 'annotation',
          key_prefix: '',
          key_name: 'owner',
          value: 'ops',
        })
        .execute();

      const res = await h.get(`/v3/tasks/${task.guid}`);
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body), TASK_KEYS);
      const self = `https://api.example.org/v3/tasks/${task.guid}`;
      assert.deepEqual(res.body, {
        guid: task.guid,
        created_at: '2024-03-01T10:20:30Z',
        updated_at: '2024-03-01T10:21:00Z',
        sequence_id: 1,
        name: 'migrate',
        command: 'bin/rake db:migrate',
        user: 'vcap',
        state: 'FAILED',
        memory_in_mb: 256,
        disk_in_mb: 512,
        log_rate_limit_in_bytes_per_second: 1048576,
        result: { failure_reason: 'Exited with status 1' },
        droplet_guid: droplet.guid,
        relationships: { app: { data: { guid: app.guid } } },
        metadata: { labels: { env: 'prod', 'example.com/team': 'data' }, annotations: { owner: 'ops' } },
        links: {
          self: { href: self },
          app: { href: `https://api.example.org/v3/apps/${app.guid}` },
          cancel: { href: `${self}/actions/cancel`, method: 'POST' },
          droplet: { href: `https://api.example.org/v3/droplets/${droplet.guid}` },
        },
        progress: null,
        latest_message: null,
        parent_task_guid: null,
        timeout_in_seconds: null,
        taskd_state: 'FAILED',
      });
    });

    test('a task whose droplet is gone shows its stored user, and null failure_reason unless FAILED', async () => {
      const { app } = await appInNewSpace(h);
      const task = await seedTask(h, app.guid, { state: 'SUCCEEDED', user: null, droplet_guid: 'gone-droplet' });
      const res = await h.get(`/v3/tasks/${task.guid}`);
      assert.equal(res.body.user, null);
      assert.equal(res.body.droplet_guid, 'gone-droplet');
      assert.deepEqual(res.body.result, { failure_reason: null });
      assert.deepEqual(res.body.metadata, { labels: {}, annotations: {} });
    });

    test('an unknown task is 404 Task not found', async () => {
      cfError(await h.get('/v3/tasks/no-such-task'), 404, 'CF-ResourceNotFound', 10010, 'Task not found');
    });

    test('without a token it is 401', async () => {
      const { app } = await appInNewSpace(h);
      const task = await seedTask(h, app.guid);
      cfError(await h.request('GET', `/v3/tasks/${task.guid}`), 401, 'CF-NotAuthenticated', 10002, 'Authentication error');
    });

    for (const role of ROLES) {
      const expected = READ[role];
      test(`show as ${role}: ${expected}`, async () => {
        const m = await matrix();
        const app = await h.app(m.space.guid);
        const task = await seedTask(h, app.guid, { command: 'echo secret-command' });
        const res = await h.get(`/v3/tasks/${task.guid}`, m.tokens[role]);
        if (expected === 404) return cfError(res, 404, 'CF-ResourceNotFound', 10010, 'Task not found');
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(Object.keys(res.body), expected === 'command' ? TASK_KEYS : REDACTED_KEYS);
        if (expected === 'command') assert.equal(res.body.command, 'echo secret-command');
      });

      test(`GET /v3/apps/:guid/tasks as ${role}: ${expected}`, async () => {
        const m = await matrix();
        const app = await h.app(m.space.guid);
        const task = await seedTask(h, app.guid, { command: 'echo secret-command' });
        const res = await h.get(`/v3/apps/${app.guid}/tasks`, m.tokens[role]);
        if (expected === 404) return cfError(res, 404, 'CF-ResourceNotFound', 10010, 'App not found');
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(
          res.body.resources.map((t: any) => t.guid),
          [task.guid],
        );
        assert.deepEqual(Object.keys(res.body.resources[0]), expected === 'command' ? TASK_KEYS : REDACTED_KEYS);
      });

      const listed = expected === 404 ? 'nothing' : 'the task, never its command';
      test(`GET /v3/tasks as ${role}: ${listed}`, async () => {
        const m = await matrix();
        const app = await h.app(m.space.guid);
        const task = await seedTask(h, app.guid, { command: 'echo secret-command' });
        const res = await h.get(`/v3/tasks?app_guids=${app.guid}`, m.tokens[role]);
        assert.equal(res.status, 200, res.text);
        if (expected === 404) {
          assert.deepEqual(res.body.resources, []);
          assert.equal(res.body.pagination.total_results, 0);
          return;
        }
        assert.deepEqual(
          res.body.resources.map((t: any) => t.guid),
          [task.guid],
        );
        assert.deepEqual(Object.keys(res.body.resources[0]), REDACTED_KEYS);
      });
    }
  },
  { runnerSlots: 0 },
);
