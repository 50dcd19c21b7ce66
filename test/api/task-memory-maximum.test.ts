// The server's memory maximum (TASKD_MAXIMUM_MEMORY_IN_MB): no task gets more memory than it,
// whether the memory was asked for, lent by a template process or the default. Refused like the
// disk maximum: 422 before anything is stored, so no task row and no sequence id are spent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';

const MAXIMUM = 4096;
const UNPROCESSABLE = ['CF-UnprocessableEntity', 10008] as const;
const TOO_MUCH = `Cannot request memory_in_mb greater than ${MAXIMUM}`;
// Long enough that a task stays unfinished for the length of a test, whatever the runner does.
const LONG = 'sleep 300';

async function freshApp(h: Harness) {
  const org = await h.org();
  const space = await h.space(org.guid);
  return (await appWithCurrentDroplet(h, space.guid)).app;
}

const createTask = (h: Harness, appGuid: string, body: unknown, token = h.admin.token) => h.post(`/v3/apps/${appGuid}/tasks`, body, token);

async function taskCount(h: Harness, appGuid: string): Promise<number> {
  const rows = await h.db
    .selectFrom('tasks')
    .innerJoin('apps', 'apps.id', 'tasks.app_id')
    .select('tasks.id')
    .where('apps.guid', '=', appGuid)
    .execute();
  return rows.length;
}

/** The app's web process (made when its droplet became current), to use as a template. */
async function webProcess(h: Harness, appGuid: string): Promise<any> {
  const res = await h.get(`/v3/apps/${appGuid}/processes`);
  assert.equal(res.status, 200, res.text);
  return res.body.resources.find((p: any) => p.type === 'web');
}

describeEachStore(
  `task memory maximum (TASKD_MAXIMUM_MEMORY_IN_MB=${MAXIMUM})`,
  (h) => {
    test('a create asking more is 422, stores no task and spends no sequence id; exactly the maximum is accepted', async () => {
      const app = await freshApp(h);
      for (const memory of [MAXIMUM + 1, 99999999999999]) {
        cfError(await createTask(h, app.guid, { command: LONG, memory_in_mb: memory }), 422, ...UNPROCESSABLE, TOO_MUCH);
      }
      assert.equal(await taskCount(h, app.guid), 0);
      const atMaximum = await createTask(h, app.guid, { command: LONG, memory_in_mb: MAXIMUM });
      assert.equal(atMaximum.status, 202, atMaximum.text);
      assert.equal(atMaximum.body.memory_in_mb, MAXIMUM);
      assert.equal(atMaximum.body.sequence_id, 1);
      assert.equal(await taskCount(h, app.guid), 1);
    });

    test('it is checked beside the disk maximum, after it and before the template lookup', async () => {
      const app = await freshApp(h);
      const template = { process: { guid: 'no-such-process' } };
      cfError(await createTask(h, app.guid, { command: LONG, memory_in_mb: MAXIMUM + 1, template }), 422, ...UNPROCESSABLE, TOO_MUCH);
      // The disk maximum, CF's own check, still comes first.
      cfError(
        await createTask(h, app.guid, { command: LONG, memory_in_mb: MAXIMUM + 1, disk_in_mb: 99999 }),
        422,
        ...UNPROCESSABLE,
        'Cannot request disk_in_mb greater than 2048',
      );
    });

    test("a template process's memory above the maximum is refused too; asking for less with the template is accepted", async () => {
      const app = await freshApp(h);
      const web = await webProcess(h, app.guid);
      assert.equal(web.memory_in_mb, 1024);
      // As when an operator lowers the maximum below the memory of processes made before.
      const before = h.config.maximumMemoryInMb;
      h.config.maximumMemoryInMb = 512;
      try {
        const template = { process: { guid: web.guid } };
        cfError(await createTask(h, app.guid, { template }), 422, ...UNPROCESSABLE, 'Cannot request memory_in_mb greater than 512');
        assert.equal(await taskCount(h, app.guid), 0);
        const smaller = await createTask(h, app.guid, { template, memory_in_mb: 512 });
        assert.equal(smaller.status, 202, smaller.text);
        assert.equal(smaller.body.memory_in_mb, 512);
        // The refused create gave its sequence id back (it was taken inside the rolled-back transaction).
        assert.equal(smaller.body.sequence_id, 1);
      } finally {
        h.config.maximumMemoryInMb = before;
      }
    });

    test('the default memory is held to the maximum too', async () => {
      const app = await freshApp(h);
      const created = await createTask(h, app.guid, { command: LONG });
      assert.equal(created.status, 202, created.text);
      assert.equal(created.body.memory_in_mb, 1024);
      // Start-up refuses a default above the maximum; a default changed at runtime is held here.
      const before = h.config.defaultMemoryInMb;
      h.config.defaultMemoryInMb = MAXIMUM * 2;
      try {
        cfError(await createTask(h, app.guid, { command: LONG }), 422, ...UNPROCESSABLE, TOO_MUCH);
      } finally {
        h.config.defaultMemoryInMb = before;
      }
      assert.equal((await createTask(h, app.guid, { command: LONG })).body.sequence_id, 2);
    });
  },
  { maximumMemoryInMb: MAXIMUM },
);

// Issue 21 item 10: an API node's maximum is its own host's memory, not the runners'. A task that
// no live runner could ever hold is refused at create as beyond the maximum, with the largest
// runner's memory as the maximum; it would otherwise wait PENDING for good.
describeEachStore(
  'memory beyond every live runner (TASKD_RUNNER_MEMORY_MB on the runner nodes)',
  (h) => {
    const runner = async (id: string, memoryMb: number | null, heartbeat = new Date()) => {
      const at = heartbeat.toISOString();
      await h.db
        .insertInto('runners')
        .values({ id, hostname: id, pid: 1, slots: 2, memory_mb: memoryMb, started_at: at, heartbeat_at: at })
        .execute();
    };

    test("a task bigger than every live runner is 422 with the largest runner's memory; one runner bounded by slots alone lifts it", async () => {
      await runner('small', 512);
      await runner('large', 2048);
      // Gone (its heartbeat is past the lease): its memory no longer counts.
      await runner('gone', 3500, new Date(Date.now() - 3600_000));
      try {
        const app = await freshApp(h);
        cfError(
          await createTask(h, app.guid, { command: LONG, memory_in_mb: 2049 }),
          422,
          ...UNPROCESSABLE,
          'Cannot request memory_in_mb greater than 2048',
        );
        // The default memory (1024) from a template or the server is held to it alike.
        const fits = await createTask(h, app.guid, { command: LONG, memory_in_mb: 2048 });
        assert.equal(fits.status, 202, fits.text);
        assert.equal(fits.body.sequence_id, 1);
        await runner('unbounded', null);
        const big = await createTask(h, app.guid, { command: LONG, memory_in_mb: 3000 });
        assert.equal(big.status, 202, big.text);
        // The server's own maximum still holds.
        cfError(await createTask(h, app.guid, { command: LONG, memory_in_mb: MAXIMUM + 1 }), 422, ...UNPROCESSABLE, TOO_MUCH);
      } finally {
        await h.db.deleteFrom('runners').where('id', 'in', ['small', 'large', 'gone', 'unbounded']).execute();
      }
    });
  },
  // An API node: it runs no task, so no runner of its own is alive.
  { runnerSlots: 0, maximumMemoryInMb: MAXIMUM },
);

describeEachStore(
  'a runner records its TASKD_RUNNER_MEMORY_MB',
  (h) => {
    test('for every node to see, and a create on it asking more is refused', async () => {
      const rows = await h.db.selectFrom('runners').select(['memory_mb']).execute();
      assert.deepEqual(
        rows.map((r) => r.memory_mb),
        [3000],
      );
      const app = await freshApp(h);
      cfError(
        await createTask(h, app.guid, { command: LONG, memory_in_mb: 3001 }),
        422,
        ...UNPROCESSABLE,
        'Cannot request memory_in_mb greater than 3000',
      );
    });
  },
  { runnerMemoryMb: 3000, maximumMemoryInMb: MAXIMUM },
);
