import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';

const EVENT_KEYS = ['guid', 'created_at', 'updated_at', 'type', 'actor', 'target', 'data', 'space', 'organization', 'links'];

async function taskIn(h: Harness, spaceGuid: string) {
  const { app } = await appWithCurrentDroplet(h, spaceGuid);
  const res = await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'sleep 300' });
  assert.equal(res.status, 202, res.text);
  return { app, task: res.body };
}

describeEachStore('audit events', (h) => {
  const matrix = sharedRoleMatrix(h);

  test('GET /v3/audit_events/:guid shows an event in CF shape', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const { app, task } = await taskIn(h, space.guid);
    const list = await h.get(`/v3/audit_events?target_guids=${app.guid}`);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.resources.length, 1);
    const e = list.body.resources[0];
    assert.deepEqual(Object.keys(e), EVENT_KEYS);
    assert.match(e.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.equal(e.type, 'audit.app.task.create');
    assert.deepEqual(e.target, { guid: app.guid, type: 'app', name: app.name });
    assert.equal(e.data.task_guid, task.guid);
    assert.deepEqual(e.links, { self: { href: `https://api.example.org/v3/audit_events/${e.guid}` } });
    const shown = await h.get(`/v3/audit_events/${e.guid}`);
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body, e);
    cfError(await h.get('/v3/audit_events/no-such-event'), 404, 'CF-ResourceNotFound', 10010, 'Event not found');
  });

  test('filters: types, target_guids, space_guids, organization_guids, created_ats; paging links', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const otherSpace = await h.space(org.guid);
    const a = await taskIn(h, space.guid);
    const b = await taskIn(h, otherSpace.guid);
    const r = await h.post(`/v3/tasks/${a.task.guid}/actions/cancel`, undefined);
    assert.equal(r.status, 202, r.text);

    const inOrg = await h.get(`/v3/audit_events?organization_guids=${org.guid}`);
    assert.deepEqual(
      inOrg.body.resources.map((e: any) => [e.type, e.data.task_guid]),
      [
        ['audit.app.task.create', a.task.guid],
        ['audit.app.task.create', b.task.guid],
        ['audit.app.task.cancel', a.task.guid],
      ],
    );
    const cancels = await h.get(`/v3/audit_events?types=audit.app.task.cancel&organization_guids=${org.guid}`);
    assert.deepEqual(
      cancels.body.resources.map((e: any) => e.data.task_guid),
      [a.task.guid],
    );
    const inSpace = await h.get(`/v3/audit_events?space_guids=${otherSpace.guid}`);
    assert.deepEqual(
      inSpace.body.resources.map((e: any) => e.data.task_guid),
      [b.task.guid],
    );
    const both = await h.get(`/v3/audit_events?target_guids=${a.app.guid},${b.app.guid}&types=audit.app.task.create`);
    assert.equal(both.body.pagination.total_results, 2);
    const future = await h.get(`/v3/audit_events?organization_guids=${org.guid}&created_ats[gt]=2999-01-01T00:00:00Z`);
    assert.equal(future.body.pagination.total_results, 0);
    const past = await h.get(`/v3/audit_events?organization_guids=${org.guid}&created_ats[gt]=2000-01-01T00:00:00Z`);
    assert.equal(past.body.pagination.total_results, 3);

    const paged = await h.get(`/v3/audit_events?organization_guids=${org.guid}&per_page=2&order_by=-created_at`);
    assert.equal(paged.body.pagination.total_pages, 2);
    assert.equal(paged.body.resources.length, 2);
    assert.equal(
      paged.body.pagination.next.href,
      `https://api.example.org/v3/audit_events?order_by=-created_at&organization_guids=${org.guid}&page=2&per_page=2`,
    );
  });

  test('query errors are 400', async () => {
    cfError(
      await h.get('/v3/audit_events?bogus=1'),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Unknown query parameter(s): 'bogus'. Valid parameters are: 'page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'types', 'target_guids', 'space_guids', 'organization_guids'",
    );
    cfError(
      await h.get('/v3/audit_events?per_page=0'),
      400,
      'CF-BadQueryParameter',
      10005,
      'The query parameter is invalid: Per page must be a positive integer',
    );
  });

  // CF's Event.user_visible: global readers, and developers and auditors of the space or auditors of the org.
  const visible: Record<RoleName, boolean> = {
    admin: true,
    admin_read_only: true,
    global_auditor: true,
    org_manager: false,
    org_auditor: true,
    space_developer: true,
    space_manager: false,
    space_auditor: true,
    space_supporter: false,
    no_role: false,
  };
  for (const role of ROLES) {
    test(`${role} ${visible[role] ? 'sees' : 'does not see'} the space's events`, async () => {
      const m = await matrix();
      const { app } = await taskIn(h, m.space.guid);
      const list = await h.get(`/v3/audit_events?target_guids=${app.guid}`, m.tokens[role]);
      assert.equal(list.status, 200, list.text);
      assert.equal(list.body.resources.length, visible[role] ? 1 : 0);
      const guid = (await h.get(`/v3/audit_events?target_guids=${app.guid}`)).body.resources[0].guid;
      const shown = await h.get(`/v3/audit_events/${guid}`, m.tokens[role]);
      if (visible[role]) assert.equal(shown.status, 200);
      else cfError(shown, 404, 'CF-ResourceNotFound', 10010, 'Event not found');
    });
  }

  test('events outlive the app they are about', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const { app } = await taskIn(h, space.guid);
    assert.equal((await h.delete(`/v3/apps/${app.guid}`)).status, 202);
    const list = await h.get(`/v3/audit_events?target_guids=${app.guid}`);
    assert.equal(list.body.resources.length, 1);
  });
});
