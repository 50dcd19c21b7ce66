// Runners claim PENDING tasks fairly (store/tasks/transitions.ts claimTasks): organizations holding
// the fewest tasks on runners first, then the spaces of one organization in turn, oldest first in a
// space; within the running limits of an organization and a space; reserved slots only for
// organizations with nothing running. On PostgreSQL several runners claim at once without taking a
// task twice or going past a limit.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describeEachStore, type Harness } from '../support/harness.js';
import { claimTasks, type ClaimRules } from '../../src/store/tasks/transitions.js';

const UNLIMITED: ClaimRules = { orgRunningLimit: 0, spaceRunningLimit: 0 };

interface Space {
  org: string;
  space: string;
  appId: number;
}

async function newSpace(h: Harness, orgGuid?: string): Promise<Space> {
  const org = orgGuid ?? (await h.org()).guid;
  const space = await h.space(org);
  const app = await h.app(space.guid);
  const row = await h.db.selectFrom('apps').select('id').where('guid', '=', app.guid).executeTakeFirstOrThrow();
  return { org, space: space.guid, appId: row.id };
}

/** Inserts PENDING tasks in the space's app, as create writes them; returns their ids, oldest first. */
async function pending(h: Harness, where: Space, count: number, memoryInMb = 256): Promise<number[]> {
  const app = await h.db
    .selectFrom('apps')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .select(['apps.space_id', 'spaces.organization_id', 'apps.next_task_sequence_id'])
    .where('apps.id', '=', where.appId)
    .executeTakeFirstOrThrow();
  await h.db
    .updateTable('apps')
    .set({ next_task_sequence_id: app.next_task_sequence_id + count })
    .where('id', '=', where.appId)
    .execute();
  const now = new Date().toISOString();
  const rows = Array.from({ length: count }, (_, i) => ({
    guid: randomUUID(),
    app_id: where.appId,
    space_id: app.space_id,
    organization_id: app.organization_id,
    sequence_id: app.next_task_sequence_id + i,
    name: `t${i}`,
    command: 'true',
    user: null,
    state: 'PENDING',
    memory_in_mb: memoryInMb,
    disk_in_mb: 256,
    log_rate_limit: -1,
    droplet_guid: randomUUID(),
    failure_reason: null,
    exit_status: null,
    timeout_seconds: null,
    created_by: null,
    runner_id: null,
    started_at: null,
    finished_at: null,
    cancel_requested_at: null,
    created_at: now,
    updated_at: now,
  }));
  const ids: number[] = [];
  for (const row of rows) ids.push((await h.db.insertInto('tasks').values(row).returning('id').executeTakeFirstOrThrow()).id);
  return ids;
}

const claim = async (h: Harness, limit: number, rules: ClaimRules = UNLIMITED, runner = 'runner-1') =>
  (await claimTasks(h.db, h.taskd.ctx.store.dialect, runner, limit, rules)).map((t) => t.id);

/** Ends tasks as a runner would (their slots are free again). */
const finish = (h: Harness, ids: number[]) =>
  h.db.updateTable('tasks').set({ state: 'SUCCEEDED', finished_at: new Date().toISOString() }).where('id', 'in', ids).execute();

/** Takes every task still PENDING out of the way of the next test. */
const clearPending = (h: Harness) =>
  h.db.updateTable('tasks').set({ state: 'FAILED', finished_at: new Date().toISOString() }).where('state', '=', 'PENDING').execute();

const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);

describeEachStore(
  'fair claims',
  (h) => {
    beforeEach(() => clearPending(h));

    test("an organization's queue of 50 does not hold back another's task: it is in the next claim", async () => {
      const a = await newSpace(h);
      const b = await newSpace(h);
      const queued = await pending(h, a, 50);
      const [other] = await pending(h, b, 1);
      assert.deepEqual(sorted(await claim(h, 2)), [queued[0], other]);
      // B's task ended; A holds one slot and B none: B's next task comes before A's second.
      await finish(h, [other!]);
      const [next] = await pending(h, b, 1);
      assert.deepEqual(await claim(h, 1), [next]);
      // Both hold one: the oldest waiting goes first.
      assert.deepEqual(await claim(h, 1), [queued[1]]);
    });

    test('the organizations holding fewest tasks on runners go first, each taking turns', async () => {
      const a = await newSpace(h);
      const b = await newSpace(h);
      const c = await newSpace(h);
      const aTasks = await pending(h, a, 6);
      await claim(h, 3); // A holds 3
      const bTasks = await pending(h, b, 3);
      const cTasks = await pending(h, c, 3);
      // B and C hold nothing: they alternate up to A's 3 before A gets a fourth.
      assert.deepEqual(sorted(await claim(h, 6)), sorted([...bTasks, ...cTasks]));
      assert.deepEqual(await claim(h, 1), [aTasks[3]]);
    });

    test('the spaces of one organization take turns, oldest first in each', async () => {
      const s1 = await newSpace(h);
      const s2 = await newSpace(h, s1.org);
      const s3 = await newSpace(h, s1.org);
      const first = await pending(h, s1, 10);
      const second = await pending(h, s2, 2);
      const third = await pending(h, s3, 1);
      assert.deepEqual(sorted(await claim(h, 3)), [first[0], second[0], third[0]]);
      assert.deepEqual(sorted(await claim(h, 2)), [first[1], second[1]]);
    });

    test('an organization at its running limit waits PENDING until one of its tasks ends; others are not held back', async () => {
      const a = await newSpace(h);
      const b = await newSpace(h);
      const rules = { orgRunningLimit: 2, spaceRunningLimit: 0 };
      const aTasks = await pending(h, a, 3);
      assert.deepEqual(sorted(await claim(h, 4, rules)), aTasks.slice(0, 2));
      assert.deepEqual(await claim(h, 4, rules), [], 'a third task of the organization was claimed');
      const [other] = await pending(h, b, 1);
      assert.deepEqual(await claim(h, 4, rules), [other]);
      await finish(h, [aTasks[0]!]);
      assert.deepEqual(await claim(h, 4, rules), [aTasks[2]]);
    });

    test('a space at its running limit waits while the other spaces of its organization run', async () => {
      const s1 = await newSpace(h);
      const s2 = await newSpace(h, s1.org);
      const rules = { orgRunningLimit: 0, spaceRunningLimit: 1 };
      const first = await pending(h, s1, 3);
      const second = await pending(h, s2, 3);
      assert.deepEqual(sorted(await claim(h, 4, rules)), [first[0], second[0]]);
      assert.deepEqual(await claim(h, 4, rules), []);
      await finish(h, [second[0]!]);
      assert.deepEqual(await claim(h, 4, rules), [second[1]]);
    });

    test('a reserved slot goes only to an organization with nothing running, one task each', async () => {
      const busy = await newSpace(h);
      const busyTasks = await pending(h, busy, 3);
      await claim(h, 1);
      const idleOnly = { ...UNLIMITED, idleOrgsOnly: true };
      assert.deepEqual(await claim(h, 2, idleOnly), [], 'an organization with a task running took a reserved slot');
      const quiet = await newSpace(h);
      const quietTasks = await pending(h, quiet, 2);
      assert.deepEqual(await claim(h, 2, idleOnly), [quietTasks[0]]);
      assert.deepEqual(await claim(h, 1), [busyTasks[1]]);
    });

    test('an organization waiting in many spaces takes its turn like any other, oldest first', async () => {
      const first = await newSpace(h);
      const spread = [...(await pending(h, first, 1))];
      for (let i = 0; i < 11; i++) spread.push(...(await pending(h, await newSpace(h, first.org), 1)));
      const [other] = await pending(h, await newSpace(h), 1);
      assert.deepEqual(sorted(await claim(h, 2)), [spread[0], other]);
      assert.deepEqual(sorted(await claim(h, 3)), spread.slice(1, 4));
    });

    test('with a memory bound, a task that does not fit waits and a younger one that fits is taken', async () => {
      const a = await newSpace(h);
      const [big] = await pending(h, a, 1, 2048);
      const [small] = await pending(h, a, 1, 512);
      assert.deepEqual(await claim(h, 1, { ...UNLIMITED, maxMemoryMb: 1024 }), [small]);
      assert.deepEqual(await claim(h, 1, { ...UNLIMITED, maxMemoryMb: 1024 }), []);
      assert.deepEqual(await claim(h, 1, { ...UNLIMITED, maxMemoryMb: 4096 }), [big]);
    });

    test('runners claiming at once never take a task twice nor pass a running limit', async () => {
      const spaces = [await newSpace(h), await newSpace(h), await newSpace(h)];
      const all = (await Promise.all(spaces.map((s) => pending(h, s, 10)))).flat();
      const rules = { orgRunningLimit: 4, spaceRunningLimit: 0 };
      const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => claim(h, 5, rules, `runner-${i}`)));
      const taken = claims.flat();
      assert.equal(new Set(taken).size, taken.length, 'a task was claimed twice');
      assert.equal(taken.length, 12, 'each of the 3 organizations runs its 4');
      const running = await h.db
        .selectFrom('tasks')
        .select(['organization_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('id', 'in', all)
        .where('state', '=', 'RUNNING')
        .groupBy('organization_id')
        .execute();
      assert.deepEqual(
        running.map((r) => Number(r.n)),
        [4, 4, 4],
      );
    });
  },
  { runnerSlots: 0 },
);
