import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describeEachStore } from '../../support/harness.js';
import { appInNewSpace, pretendRunnerElsewhere } from '../../support/tasks.js';
import { apiError, call, fixtureSession, restError, restListed } from './helpers.js';

/** Inserts `count` finished tasks into the app in a few multi-row statements. */
async function seedMany(h: any, appGuid: string, count: number): Promise<void> {
  const app = await h.db
    .selectFrom('apps')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .select(['apps.id', 'apps.space_id', 'spaces.organization_id'])
    .where('apps.guid', '=', appGuid)
    .executeTakeFirstOrThrow();
  const now = new Date().toISOString();
  const rows = Array.from({ length: count }, (_, i) => ({
    guid: randomUUID(),
    app_id: app.id,
    space_id: app.space_id,
    organization_id: app.organization_id,
    sequence_id: i + 1,
    name: `bulk-${i}`,
    command: 'true',
    user: null,
    state: 'SUCCEEDED',
    memory_in_mb: 64,
    disk_in_mb: 64,
    log_rate_limit: -1,
    droplet_guid: randomUUID(),
    failure_reason: null,
    exit_status: 0,
    started_at: now,
    finished_at: now,
    created_at: now,
    updated_at: now,
  }));
  for (let i = 0; i < rows.length; i += 250)
    await h.db
      .insertInto('tasks')
      .values(rows.slice(i, i + 250))
      .execute();
  await h.db
    .updateTable('apps')
    .set({ next_task_sequence_id: count + 1 })
    .where('id', '=', app.id)
    .execute();
}

describeEachStore(
  'listing more than 1000 tasks',
  (h) => {
    let session: string;
    let full: any;
    let over: any;
    const byApp = (guid: string) => `filter_spec.services=taskd.task&filter_spec.targets.1.type=app&filter_spec.targets.1.id=${guid}`;

    before(async () => {
      await pretendRunnerElsewhere(h);
      session = await fixtureSession(h);
      full = (await appInNewSpace(h)).app;
      over = (await appInNewSpace(h)).app;
      await seedMany(h, full.guid, 1000);
      await seedMany(h, over.guid, 1001);
    });

    test('exactly 1000 matches are all answered', async () => {
      assert.equal(restListed(await call(h, 'GET', `/rest/cis/tasks?${byApp(full.guid)}`, session)).size, 1000);
      const api = await call(h, 'POST', '/api/cis/tasks?action=list', session, {
        filter_spec: { services: ['taskd.task'], targets: [{ type: 'app', id: full.guid }] },
      });
      assert.equal(Object.keys(api.body).length, 1000);
    });

    test('1001 matches are 404 resource_inaccessible on /rest and RESOURCE_INACCESSIBLE on /api', async () => {
      restError(
        await call(h, 'GET', `/rest/cis/tasks?${byApp(over.guid)}`, session),
        404,
        'resource_inaccessible',
        'More than 1000 tasks match',
      );
      const body = { filter_spec: { services: ['taskd.task'], targets: [{ type: 'app', id: over.guid }] } };
      apiError(
        await call(h, 'POST', '/api/cis/tasks?action=list', session, body),
        404,
        'RESOURCE_INACCESSIBLE',
        'More than 1000 tasks match',
      );
      apiError(await call(h, 'GET', `/api/cis/tasks?${byApp(over.guid)}`, session), 404, 'RESOURCE_INACCESSIBLE');
    });

    test('a narrower filter over the same tasks is answered', async () => {
      assert.equal(restListed(await call(h, 'GET', `/rest/cis/tasks?${byApp(over.guid)}&filter_spec.status=FAILED`, session)).size, 0);
    });

    test('the limit counts only what the caller may see', async () => {
      const developer = await h.user();
      const space = (await h.get(`/v3/apps/${full.guid}`)).body.relationships.space.data.guid;
      await h.role('space_developer', developer.guid, { space });
      // Both apps hold 2001 tasks; the developer sees the 1000 of one.
      const res = await call(h, 'GET', '/rest/cis/tasks?filter_spec.services=taskd.task', await fixtureSession(h, developer));
      assert.equal(restListed(res).size, 1000);
    });
  },
  { runnerSlots: 0 },
);
