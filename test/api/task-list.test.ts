import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { appInNewSpace, labelTask, seedTask, seedTasks } from '../support/tasks.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';

const guidsOf = (res: { body: any }) => res.body.resources.map((t: any) => t.guid);

describeEachStore(
  'GET /v3/tasks and /v3/apps/:guid/tasks',
  (h) => {
    test('each caller lists the tasks of the spaces they may read, in insertion order', async () => {
      const a = await appInNewSpace(h);
      const b = await appInNewSpace(h);
      const a1 = await seedTask(h, a.app.guid, { state: 'RUNNING' });
      const b1 = await seedTask(h, b.app.guid, { state: 'SUCCEEDED' });
      const a2 = await seedTask(h, a.app.guid, { state: 'FAILED' });
      const dev = await h.user();
      await h.role('space_developer', dev.guid, { space: a.space.guid });
      const orgManager = await h.user();
      await h.role('organization_manager', orgManager.guid, { org: b.org.guid });
      const stranger = await h.user();

      const mine = await h.get('/v3/tasks', dev.token);
      assert.deepEqual(guidsOf(mine), [a1.guid, a2.guid]);
      assert.equal(mine.body.pagination.total_results, 2);
      assert.ok(
        mine.body.resources.every((t: any) => !('command' in t)),
        'lists never show the command, even to developers',
      );
      const managed = await h.get('/v3/tasks', orgManager.token);
      assert.deepEqual(guidsOf(managed), [b1.guid]);
      assert.equal(managed.body.pagination.total_results, 1);
      const none = await h.get('/v3/tasks', stranger.token);
      assert.deepEqual(none.body.resources, []);
      assert.equal(none.body.pagination.total_results, 0);
      assert.equal(none.body.pagination.total_pages, 1);

      const admin = await h.get(`/v3/tasks?space_guids=${a.space.guid},${b.space.guid}`);
      assert.deepEqual(guidsOf(admin), [a1.guid, b1.guid, a2.guid]);
      assert.ok(
        admin.body.resources.every((t: any) => !('command' in t)),
        'not even to admins',
      );
      // A filter naming a space the caller cannot read finds nothing there.
      assert.deepEqual(guidsOf(await h.get(`/v3/tasks?space_guids=${b.space.guid}`, dev.token)), []);
    });

    test('total_results equals the matching rows for every kind of filter, counted from counters or rows', async () => {
      const a = await appInNewSpace(h);
      const b = await appInNewSpace(h);
      const states = ['PENDING', 'RUNNING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELING', 'SUCCEEDED'];
      const tasks = [
        ...(await seedTasks(
          h,
          a.app.guid,
          states.map((state) => ({ state, name: `a-${state}` })),
        )),
        ...(await seedTasks(
          h,
          b.app.guid,
          states.slice(2).map((state) => ({ state, name: `b-${state}` })),
        )),
      ];
      for (const [i, t] of tasks.entries()) {
        if (i % 3 === 0) await labelTask(h, t, { env: 'prod' });
        if (i % 3 === 1) await labelTask(h, t, { env: 'dev', 'example.com/tier': 'web' });
      }
      const dev = await h.user();
      await h.role('space_developer', dev.guid, { space: a.space.guid });
      const orgManager = await h.user();
      await h.role('organization_manager', orgManager.guid, { org: b.org.guid });
      const queries = [
        '',
        'states=RUNNING',
        'states=RUNNING,FAILED',
        `space_guids=${a.space.guid}`,
        `organization_guids=${b.org.guid}`,
        `states=SUCCEEDED&space_guids=${a.space.guid},${b.space.guid}`,
        `app_guids=${b.app.guid}`,
        'names=A-RUNNING',
        'label_selector=env%3Dprod',
        'label_selector=env%3D%3Dprod',
        'label_selector=env!%3Dprod',
        'label_selector=env+in+(prod,dev)',
        'label_selector=env+notin+(prod)',
        'label_selector=env',
        'label_selector=!env',
        'label_selector=example.com/tier',
        'label_selector=env%3Ddev,example.com/tier%3Dweb',
        'label_selector=env%3Dprod&states=RUNNING',
        'created_ats[gte]=2000-01-01T00:00:00Z',
      ];
      for (const [who, token] of [
        ['admin', h.admin.token],
        ['space developer', dev.token],
        ['org manager', orgManager.token],
      ] as const) {
        for (const q of queries) {
          const res = await h.get(`/v3/tasks?per_page=5000&${q}`, token);
          assert.equal(res.status, 200, `${who} ?${q}: ${res.text}`);
          assert.equal(res.body.pagination.total_results, res.body.resources.length, `${who} ?${q}`);
        }
      }
      const running = await h.get(`/v3/tasks?states=RUNNING&space_guids=${a.space.guid}`);
      assert.deepEqual(
        guidsOf(running),
        tasks.filter((t) => t.name === 'a-RUNNING').map((t) => t.guid),
      );
      const prod = await h.get(`/v3/tasks?label_selector=env%3Dprod&space_guids=${a.space.guid},${b.space.guid}`);
      assert.deepEqual(
        guidsOf(prod),
        tasks.filter((_, i) => i % 3 === 0).map((t) => t.guid),
      );
      const devAll = await h.get('/v3/tasks', dev.token);
      assert.equal(devAll.body.pagination.total_results, states.length);
    });

    test('an app lists its own tasks by sequence id, with the command for developers and admins', async () => {
      const { space, app } = await appInNewSpace(h);
      const other = await h.app(space.guid);
      const tasks = await seedTasks(h, app.guid, [
        { command: 'echo one' },
        { command: 'echo two', state: 'SUCCEEDED' },
        { state: 'FAILED' },
      ]);
      await seedTask(h, other.guid);
      const res = await h.get(`/v3/apps/${app.guid}/tasks`);
      assert.equal(res.status, 200);
      assert.deepEqual(
        guidsOf(res),
        tasks.map((t) => t.guid),
      );
      assert.deepEqual(
        res.body.resources.map((t: any) => t.sequence_id),
        [1, 2, 3],
      );
      assert.equal(res.body.resources[0].command, 'echo one');
      assert.equal(res.body.pagination.total_results, 3);
      assert.equal(res.body.pagination.first.href, `https://api.example.org/v3/apps/${app.guid}/tasks?page=1&per_page=50`);
      const bySequence = await h.get(`/v3/apps/${app.guid}/tasks?sequence_ids=3,1`);
      assert.deepEqual(guidsOf(bySequence), [tasks[0].guid, tasks[2].guid]);
      assert.equal(bySequence.body.pagination.total_results, 2);
      const byState = await h.get(`/v3/apps/${app.guid}/tasks?states=SUCCEEDED,FAILED`);
      assert.deepEqual(guidsOf(byState), [tasks[1].guid, tasks[2].guid]);
      // The path decides the app; CF's internal app_guid is neither a filter nor echoed.
      const internal = await h.get(`/v3/apps/${app.guid}/tasks?app_guid=${other.guid}`);
      assert.deepEqual(
        guidsOf(internal),
        tasks.map((t) => t.guid),
      );
      assert.equal(internal.body.pagination.first.href, `https://api.example.org/v3/apps/${app.guid}/tasks?page=1&per_page=50`);
    });

    test("an app's tasks: 404 App not found for a missing or unreadable app, but a bad query is 400 first", async () => {
      const { app } = await appInNewSpace(h);
      const stranger = await h.user();
      cfError(await h.get('/v3/apps/no-such-app/tasks'), 404, 'CF-ResourceNotFound', 10010, 'App not found');
      cfError(await h.get(`/v3/apps/${app.guid}/tasks`, stranger.token), 404, 'CF-ResourceNotFound', 10010, 'App not found');
      cfError(
        await h.get('/v3/apps/no-such-app/tasks?page=0'),
        400,
        'CF-BadQueryParameter',
        10005,
        'The query parameter is invalid: Page must be a positive integer',
      );
      cfError(
        await h.get('/v3/apps/no-such-app/tasks?space_guids=x'),
        400,
        'CF-BadQueryParameter',
        10005,
        "The query parameter is invalid: Unknown query parameter(s): 'space_guids'",
      );
    });

    test('deep pages and pages past the end', async () => {
      const { app } = await appInNewSpace(h);
      const tasks = await seedTasks(
        h,
        app.guid,
        Array.from({ length: 7 }, () => ({ state: 'SUCCEEDED' })),
      );
      const q = `app_guids=${app.guid}&per_page=2`;
      const pages = [];
      for (let page = 1; page <= 4; page++) pages.push(...guidsOf(await h.get(`/v3/tasks?${q}&page=${page}`)));
      assert.deepEqual(
        pages,
        tasks.map((t) => t.guid),
        'pages walk every task once, in order',
      );
      const last = await h.get(`/v3/tasks?${q}&page=4`);
      assert.equal(last.body.pagination.total_pages, 4);
      assert.equal(last.body.pagination.next, null);
      const beyond = await h.get(`/v3/tasks?${q}&page=9`);
      assert.equal(beyond.status, 200);
      assert.deepEqual(beyond.body.resources, []);
      assert.equal(beyond.body.pagination.total_results, 7);
      assert.equal(beyond.body.pagination.next, null);
      assert.equal(beyond.body.pagination.previous.href, `https://api.example.org/v3/tasks?app_guids=${app.guid}&page=8&per_page=2`);
      const appBeyond = await h.get(`/v3/apps/${app.guid}/tasks?per_page=2&page=5&order_by=-created_at`);
      assert.deepEqual(appBeyond.body.resources, []);
      assert.equal(
        appBeyond.body.pagination.previous.href,
        `https://api.example.org/v3/apps/${app.guid}/tasks?order_by=-created_at&page=4&per_page=2`,
      );
    });
  },
  { runnerSlots: 0 },
);

// With a runner alive, so the real create accepts tasks.
describeEachStore('tasks created through POST /v3/apps/:guid/tasks', (h: Harness) => {
  test('appear in every list and show, counted', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const { app } = await appWithCurrentDroplet(h, space.guid);
    const created = [];
    for (const name of ['first', 'second']) {
      const res = await h.post(`/v3/apps/${app.guid}/tasks`, { name, command: 'true' });
      assert.equal(res.status, 202, res.text);
      created.push(res.body);
    }
    const all = await h.get(`/v3/tasks?space_guids=${space.guid}`);
    assert.deepEqual(
      guidsOf(all),
      created.map((t) => t.guid),
    );
    assert.equal(all.body.pagination.total_results, 2);
    const byOrg = await h.get(`/v3/tasks?organization_guids=${org.guid}`);
    assert.equal(byOrg.body.pagination.total_results, 2);
    const ofApp = await h.get(`/v3/apps/${app.guid}/tasks`);
    assert.deepEqual(
      ofApp.body.resources.map((t: any) => [t.name, t.sequence_id, t.command]),
      [
        ['first', 1, 'true'],
        ['second', 2, 'true'],
      ],
    );
    const shown = await h.get(`/v3/tasks/${created[1].guid}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.name, 'second');
    assert.equal(shown.body.droplet_guid, created[1].droplet_guid);
  });
});
