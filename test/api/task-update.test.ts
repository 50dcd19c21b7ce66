import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';

const UNPROCESSABLE = ['CF-UnprocessableEntity', 10008] as const;

async function newTask(h: Harness, spaceGuid?: string) {
  if (!spaceGuid) spaceGuid = (await h.space((await h.org()).guid)).guid;
  const { app } = await appWithCurrentDroplet(h, spaceGuid!);
  const res = await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'sleep 300', metadata: { labels: { keep: 'me', drop: 'me' } } });
  assert.equal(res.status, 202, res.text);
  return res.body;
}

describeEachStore('PATCH /v3/tasks/:guid', (h) => {
  const matrix = sharedRoleMatrix(h);

  test('merges labels and annotations, null deletes; answers 200 with command', async () => {
    const task = await newTask(h);
    const res = await h.patch(`/v3/tasks/${task.guid}`, {
      metadata: { labels: { drop: null, added: 'yes' }, annotations: { note: 'hi' } },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.guid, task.guid);
    assert.equal(res.body.command, 'sleep 300');
    assert.deepEqual(res.body.metadata, { labels: { keep: 'me', added: 'yes' }, annotations: { note: 'hi' } });
  });

  test('does not bump updated_at', async () => {
    const task = await newTask(h);
    // Once the runner has started it, nothing else changes the row while the test looks.
    for (let i = 0; i < 400 && (await h.get(`/v3/tasks/${task.guid}`)).body.state !== 'RUNNING'; i++)
      await new Promise((r) => setTimeout(r, 25));
    const stamp = '2001-02-03T04:05:06.000Z';
    await h.db.updateTable('tasks').set({ updated_at: stamp }).where('guid', '=', task.guid).execute();
    const res = await h.patch(`/v3/tasks/${task.guid}`, { metadata: { labels: { x: 'y' } } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.updated_at, '2001-02-03T04:05:06Z');
  });

  test('only metadata may change; the body is checked before the lookup', async () => {
    const task = await newTask(h);
    cfError(
      await h.patch(`/v3/tasks/${task.guid}`, { name: 'x', command: 'y' }),
      422,
      ...UNPROCESSABLE,
      "Unknown field(s): 'name', 'command'",
    );
    cfError(await h.patch('/v3/tasks/no-such-task', { state: 'FAILED' }), 422, ...UNPROCESSABLE, "Unknown field(s): 'state'");
    cfError(
      await h.patch(`/v3/tasks/${task.guid}`, { metadata: { labels: { 'cloudfoundry.org/x': 'y' } } }),
      422,
      ...UNPROCESSABLE,
      "Metadata label key error: prefix 'cloudfoundry.org' is reserved",
    );
    cfError(
      await h.patch(`/v3/tasks/${task.guid}`, { metadata: { annotations: 5 } }),
      422,
      ...UNPROCESSABLE,
      "Metadata 'annotations' is not an object",
    );
    cfError(await h.patch('/v3/tasks/no-such-task', { metadata: {} }), 404, 'CF-ResourceNotFound', 10010, 'Task not found');
  });

  test('label limit', async () => {
    const task = await newTask(h);
    const labels = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`l${i}`, 'v']));
    cfError(
      await h.patch(`/v3/tasks/${task.guid}`, { metadata: { labels } }),
      422,
      'CF-LabelLimitExceeded',
      390020,
      'Failed to add 49 labels because it would exceed maximum of 50',
    );
  });

  test('suspended organization: developers get 403 OrgSuspended', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const dev = await h.user();
    await h.role('space_developer', dev.guid, { space: space.guid });
    const task = await newTask(h, space.guid);
    await h.patch(`/v3/organizations/${org.guid}`, { suspended: true });
    cfError(await h.patch(`/v3/tasks/${task.guid}`, { metadata: { labels: { a: 'b' } } }, dev.token), 403, 'CF-OrgSuspended', 10017);
    assert.equal((await h.patch(`/v3/tasks/${task.guid}`, { metadata: { labels: { a: 'b' } } })).status, 200);
  });

  const expectations: Record<RoleName, number> = {
    admin: 200,
    admin_read_only: 403,
    global_auditor: 403,
    org_manager: 403,
    org_auditor: 404,
    space_developer: 200,
    space_manager: 403,
    space_auditor: 403,
    space_supporter: 403,
    no_role: 404,
  };
  for (const role of ROLES) {
    test(`as ${role} answers ${expectations[role]}`, async () => {
      const m = await matrix();
      const task = await newTask(h, m.space.guid);
      const res = await h.patch(`/v3/tasks/${task.guid}`, { metadata: { labels: { by: role.replace(/_/g, '-') } } }, m.tokens[role]);
      assert.equal(res.status, expectations[role], res.text);
      if (res.status === 200) assert.equal(res.body.command, 'sleep 300');
      if (res.status === 403) cfError(res, 403, 'CF-NotAuthorized', 10003);
      if (res.status === 404) cfError(res, 404, 'CF-ResourceNotFound', 10010, 'Task not found');
      const labels = (await h.patch(`/v3/tasks/${task.guid}`, {})).body.metadata.labels;
      assert.equal('by' in labels, res.status === 200);
    });
  }
});
