import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';

const UNPROCESSABLE = ['CF-UnprocessableEntity', 10008] as const;

interface Limits {
  total_memory_in_mb?: number | null;
  per_process_memory_in_mb?: number | null;
  log_rate_limit_in_bytes_per_second?: number | null;
  per_app_tasks?: number | null;
}

async function spaceWithQuotas(h: Harness, limits: { org?: Limits; space?: Limits }) {
  const org = await h.org();
  const space = await h.space(org.guid);
  if (limits.org) {
    const res = await h.post('/v3/organization_quotas', {
      name: h.unique('oq'),
      apps: limits.org,
      relationships: { organizations: { data: [{ guid: org.guid }] } },
    });
    assert.equal(res.status, 201, res.text);
  }
  if (limits.space) {
    const res = await h.post('/v3/space_quotas', {
      name: h.unique('sq'),
      apps: limits.space,
      relationships: { organization: { data: { guid: org.guid } }, spaces: { data: [{ guid: space.guid }] } },
    });
    assert.equal(res.status, 201, res.text);
  }
  const { app } = await appWithCurrentDroplet(h, space.guid);
  return { org, space, app };
}

const run = (h: Harness, appGuid: string, body: Record<string, unknown>) =>
  h.post(`/v3/apps/${appGuid}/tasks`, { command: 'sleep 300', ...body });
const finish = (h: Harness, guid: string, state: string) => h.db.updateTable('tasks').set({ state }).where('guid', '=', guid).execute();

describeEachStore(
  'task create quotas',
  (h) => {
    // No runner on this node, one that seems alive elsewhere: tasks stay as the test leaves them.
    before(async () => {
      const now = new Date().toISOString();
      const far = new Date(Date.now() + 3600_000).toISOString();
      await h.db
        .insertInto('runners')
        .values({ id: 'elsewhere', hostname: 'elsewhere', pid: 1, slots: 4, started_at: now, heartbeat_at: far })
        .execute();
    });

    for (const kind of ['space', 'organization'] as const) {
      const quota = (limits: Limits) => (kind === 'space' ? { space: limits } : { org: limits });

      test(`${kind} memory quota counts PENDING and RUNNING tasks only`, async () => {
        const { app } = await spaceWithQuotas(h, quota({ total_memory_in_mb: 1000 }));
        const first = await run(h, app.guid, { memory_in_mb: 600 });
        assert.equal(first.status, 202, first.text);
        cfError(await run(h, app.guid, { memory_in_mb: 401 }), 422, ...UNPROCESSABLE, `memory_in_mb exceeds ${kind} memory quota`);
        assert.equal((await run(h, app.guid, { memory_in_mb: 400 })).status, 202, 'exactly the remainder fits');
        await finish(h, first.body.guid, 'RUNNING');
        cfError(await run(h, app.guid, { memory_in_mb: 1 }), 422, ...UNPROCESSABLE, `memory_in_mb exceeds ${kind} memory quota`);
        await finish(h, first.body.guid, 'SUCCEEDED');
        assert.equal((await run(h, app.guid, { memory_in_mb: 600 })).status, 202);
      });

      test(`${kind} instance memory quota`, async () => {
        const { app } = await spaceWithQuotas(h, quota({ per_process_memory_in_mb: 256 }));
        cfError(await run(h, app.guid, { memory_in_mb: 257 }), 422, ...UNPROCESSABLE, `memory_in_mb exceeds ${kind} instance memory quota`);
        // The default memory (1024) is above it too.
        cfError(await run(h, app.guid, {}), 422, ...UNPROCESSABLE, `memory_in_mb exceeds ${kind} instance memory quota`);
        assert.equal((await run(h, app.guid, { memory_in_mb: 256 })).status, 202);
      });

      test(`${kind} log rate quota, which makes unlimited (-1) impossible`, async () => {
        const { org, space, app } = await spaceWithQuotas(h, quota({ log_rate_limit_in_bytes_per_second: 1000 }));
        const name = kind === 'space' ? space.name : org.name;
        cfError(await run(h, app.guid, {}), 422, ...UNPROCESSABLE, `log_rate_limit cannot be unlimited in ${kind} '${name}'.`);
        cfError(
          await run(h, app.guid, { log_rate_limit_in_bytes_per_second: -1 }),
          422,
          ...UNPROCESSABLE,
          `log_rate_limit cannot be unlimited in ${kind} '${name}'.`,
        );
        cfError(
          await run(h, app.guid, { log_rate_limit_in_bytes_per_second: 1001 }),
          422,
          ...UNPROCESSABLE,
          `log_rate_limit exceeds ${kind} log rate quota`,
        );
        assert.equal((await run(h, app.guid, { log_rate_limit_in_bytes_per_second: 700 })).status, 202);
        cfError(
          await run(h, app.guid, { log_rate_limit_in_bytes_per_second: 301 }),
          422,
          ...UNPROCESSABLE,
          `log_rate_limit exceeds ${kind} log rate quota`,
        );
        assert.equal((await run(h, app.guid, { log_rate_limit_in_bytes_per_second: 300 })).status, 202);
        assert.equal((await run(h, app.guid, { log_rate_limit_in_bytes_per_second: 0 })).status, 202);
      });

      test(`${kind} per_app_tasks counts PENDING and RUNNING tasks`, async () => {
        const { space, app } = await spaceWithQuotas(h, quota({ per_app_tasks: 2 }));
        const a = await run(h, app.guid, {});
        const other = (await appWithCurrentDroplet(h, space.guid)).app;
        const b = await run(h, other.guid, {});
        assert.equal(a.status, 202);
        assert.equal(b.status, 202);
        await finish(h, b.body.guid, 'RUNNING');
        cfError(await run(h, app.guid, {}), 422, ...UNPROCESSABLE, 'app_task_limit quota exceeded');
        await finish(h, a.body.guid, 'CANCELING');
        const c = await run(h, app.guid, {});
        assert.equal(c.status, 202, 'a CANCELING task no longer counts');
        await finish(h, c.body.guid, 'FAILED');
        assert.equal((await run(h, app.guid, {})).status, 202);
      });
    }

    test('a zero task limit refuses every task', async () => {
      const { app } = await spaceWithQuotas(h, { space: { per_app_tasks: 0 } });
      cfError(await run(h, app.guid, {}), 422, ...UNPROCESSABLE, 'app_task_limit quota exceeded');
    });

    test('every exceeded limit is reported, grouped by attribute, organization before space', async () => {
      const { org, space, app } = await spaceWithQuotas(h, {
        org: { total_memory_in_mb: 100, per_process_memory_in_mb: 100, log_rate_limit_in_bytes_per_second: 10, per_app_tasks: 0 },
        space: { total_memory_in_mb: 100, per_process_memory_in_mb: 100, log_rate_limit_in_bytes_per_second: 10, per_app_tasks: 0 },
      });
      cfError(
        await run(h, app.guid, { memory_in_mb: 200, user: 'root', name: '' }),
        422,
        ...UNPROCESSABLE,
        [
          'name is invalid',
          'name is not present',
          "user invalid (requested user 'root' not allowed, permitted users are: 'vcap')",
          'memory_in_mb exceeds organization memory quota',
          'memory_in_mb exceeds organization instance memory quota',
          'memory_in_mb exceeds space memory quota',
          'memory_in_mb exceeds space instance memory quota',
          `log_rate_limit cannot be unlimited in organization '${org.name}'.`,
          `log_rate_limit cannot be unlimited in space '${space.name}'.`,
          'app_task_limit quota exceeded',
          'app_task_limit quota exceeded',
        ].join(', '),
      );
    });

    test('simultaneous creates on one app never overshoot a quota, and the refused ones give their sequence ids back', async () => {
      const { app } = await spaceWithQuotas(h, { space: { per_app_tasks: 5, total_memory_in_mb: 10_000 } });
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => run(h, app.guid, { name: `t${i}`, memory_in_mb: 100 })));
      const created = answers.filter((a) => a.status === 202);
      assert.equal(created.length, 5, answers.map((a) => a.status).join(' '));
      for (const refused of answers.filter((a) => a.status !== 202))
        cfError(refused, 422, ...UNPROCESSABLE, 'app_task_limit quota exceeded');
      assert.deepEqual(
        created.map((a) => a.body.sequence_id).sort((x, y) => x - y),
        [1, 2, 3, 4, 5],
      );
      // The next one after a task ends takes the next number.
      await finish(h, created[0]!.body.guid, 'SUCCEEDED');
      const next = await run(h, app.guid, { memory_in_mb: 100 });
      assert.equal(next.status, 202, next.text);
      assert.equal(next.body.sequence_id, 6);
    });

    test('simultaneous creates on one app never overshoot a memory quota', async () => {
      const { app } = await spaceWithQuotas(h, { org: { total_memory_in_mb: 1000 } });
      const answers = await Promise.all(Array.from({ length: 10 }, () => run(h, app.guid, { memory_in_mb: 300 })));
      assert.equal(answers.filter((a) => a.status === 202).length, 3, answers.map((a) => a.status).join(' '));
      for (const refused of answers.filter((a) => a.status !== 202))
        cfError(refused, 422, ...UNPROCESSABLE, 'memory_in_mb exceeds organization memory quota');
    });

    test('unlimited quotas (null) limit nothing', async () => {
      const { app } = await spaceWithQuotas(h, { org: {}, space: {} });
      assert.equal((await run(h, app.guid, { memory_in_mb: 100000 })).status, 202);
    });
    // The server's own memory maximum (by default the host's memory) is not a quota: set above the
    // memory asked for here; task-memory-maximum.test.ts tests it.
  },
  { runnerSlots: 0, maximumMemoryInMb: 1_000_000 },
);
