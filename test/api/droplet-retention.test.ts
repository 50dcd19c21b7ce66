// Droplets retained per app (TASKD_DROPLETS_PER_APP, Cloud Controller's max_staged_droplets_stored):
// staging a droplet deletes the app's older ones beyond the newest five, with their bits, but never
// the app's current droplet nor one that an unfinished task runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describeEachStore, type Harness } from '../support/harness.js';
import { seedTask } from '../support/tasks.js';
import { stagedDroplet } from '../droplets/helpers.js';

async function freshApp(h: Harness) {
  const org = await h.org();
  const space = await h.space(org.guid);
  return h.app(space.guid);
}

const dirOf = (h: Harness, guid: string) => path.join(h.config.dataDir, 'droplets', guid);

async function dropletGuidsOf(h: Harness, appGuid: string): Promise<string[]> {
  const res = await h.get(`/v3/apps/${appGuid}/droplets?per_page=100`);
  assert.equal(res.status, 200, res.text);
  return (res.body.resources as { guid: string }[]).map((d) => d.guid).sort();
}

async function bundleRowsOf(h: Harness, dropletGuids: string[]): Promise<number> {
  const rows = await h.db
    .selectFrom('droplet_bundles')
    .innerJoin('droplets', 'droplets.id', 'droplet_bundles.droplet_id')
    .select('droplets.guid')
    .where('droplets.guid', 'in', dropletGuids)
    .execute();
  return rows.length;
}

async function stageMany(h: Harness, appGuid: string, count: number): Promise<string[]> {
  const guids: string[] = [];
  for (let i = 0; i < count; i++) guids.push((await stagedDroplet(h, appGuid)).guid);
  return guids;
}

describeEachStore(
  'droplets retained per app',
  (h) => {
    test('staging a droplet keeps the newest 5 and deletes older ones with their files (and stored bundles)', async () => {
      const app = await freshApp(h);
      const staged = await stageMany(h, app.guid, 7);
      const [gone, kept] = [staged.slice(0, 2), staged.slice(2)];
      assert.deepEqual(await dropletGuidsOf(h, app.guid), [...kept].sort());
      for (const guid of gone) {
        assert.equal((await h.get(`/v3/droplets/${guid}`)).status, 404);
        assert.equal(existsSync(dirOf(h, guid)), false, `the files of ${guid} are gone`);
      }
      for (const guid of kept) assert.equal(existsSync(dirOf(h, guid)), true, `the files of ${guid} stay`);
      assert.equal(await bundleRowsOf(h, gone), 0);
      if (h.kind === 'postgres') assert.ok((await bundleRowsOf(h, kept)) >= kept.length, 'the kept droplets keep their bundles');
    });

    test("the app's current droplet and one that an unfinished task runs survive, until the task ends", async () => {
      const app = await freshApp(h);
      const [current, running] = await stageMany(h, app.guid, 2);
      const assign = await h.patch(`/v3/apps/${app.guid}/relationships/current_droplet`, { data: { guid: current } });
      assert.equal(assign.status, 200, assign.text);
      const task = await seedTask(h, app.guid, { state: 'PENDING', droplet_guid: running });

      const later = await stageMany(h, app.guid, 6);
      // The newest five of the others stay; the oldest of them (later[0]) goes; the two spared stay.
      assert.deepEqual(await dropletGuidsOf(h, app.guid), [current, running, ...later.slice(1)].sort());
      assert.equal(existsSync(dirOf(h, later[0])), false);
      assert.equal(existsSync(dirOf(h, current)), true);
      assert.equal(existsSync(dirOf(h, running)), true);
      // The app can still run tasks of its current droplet.
      assert.equal((await h.get(`/v3/apps/${app.guid}/droplets/current`)).body.guid, current);

      await h.db.updateTable('tasks').set({ state: 'FAILED', failure_reason: 'test' }).where('id', '=', task.id).execute();
      const last = await stagedDroplet(h, app.guid);
      assert.deepEqual(await dropletGuidsOf(h, app.guid), [current, ...later.slice(2), last.guid].sort());
      assert.equal(existsSync(dirOf(h, running)), false, 'no longer in use: expired with the next staging');
    });

    test('other apps keep their droplets', async () => {
      const busy = await freshApp(h);
      const quiet = await freshApp(h);
      const own = await stageMany(h, quiet.guid, 2);
      await stageMany(h, busy.guid, 6);
      assert.deepEqual(await dropletGuidsOf(h, quiet.guid), [...own].sort());
    });
  },
  { runnerSlots: 0 },
);
