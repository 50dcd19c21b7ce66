// Deleted data gives its disk space back (issue 17, finding 2: deleting the app of a task that had
// stored 1.32 GB of output left the SQLite file as big as before). New databases are made with
// incremental vacuum, older ones are converted once at start, and upkeep returns free pages to
// the file system.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { openStore } from '../../src/store/database.js';
import { Harness } from '../support/harness.js';
import { createTask, eventually, runnableApp, waitForTask } from '../runner/helpers.js';

/** The database's real size on disk: its file and its write-ahead log. */
function databaseBytes(dataDir: string): number {
  const file = path.join(dataDir, 'taskd.db');
  return statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
}

const MB = 1024 * 1024;

test('SQLite: the file shrinks when an app with a lot of stored output is deleted', async () => {
  const h = new Harness('sqlite', { taskOutputMaxBytes: 64 * MB, taskOutputMaxLines: 1_000_000 });
  await h.start();
  try {
    const { app } = await runnableApp(h);
    const flood = await createTask(h, app.guid, `yes "$(printf '%01000d' 0)" | head -c ${30 * MB}`);
    assert.equal((await waitForTask(h, flood.guid, undefined, 120_000)).state, 'SUCCEEDED');
    await h.taskd.ctx.store.reclaimFreeSpace();
    const full = databaseBytes(h.config.dataDir);
    assert.ok(full > 30 * MB, `${full} bytes with the output stored`);

    assert.equal((await h.delete(`/v3/apps/${app.guid}`)).status, 202);
    await eventually('the app is gone', async () => (await h.get(`/v3/apps/${app.guid}`)).status === 404);
    const given = await h.taskd.ctx.store.reclaimFreeSpace();
    const after = databaseBytes(h.config.dataDir);
    assert.ok(after < full - 25 * MB, `${full} bytes before, ${after} after`);
    assert.ok(given > 25 * MB, `${given} bytes given back`);
    // Still a working database.
    assert.equal((await h.get('/v3/apps')).status, 200);
  } finally {
    await h.stop();
  }
});

let dataDir: string;
before(() => void (dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-vacuum-'))));
after(() => rmSync(dataDir, { recursive: true, force: true }));

test('SQLite: a database made before incremental vacuum is converted at start, its data kept', async () => {
  const first = await openStore({ dataDir });
  await first.db.insertInto('settings').values({ name: 'probe', value: 'kept' }).execute();
  await first.close();
  // As a database from before: no auto_vacuum.
  const raw = new SQLite(path.join(dataDir, 'taskd.db'));
  raw.pragma('auto_vacuum = NONE');
  raw.exec('VACUUM');
  assert.equal(raw.pragma('auto_vacuum', { simple: true }), 0);
  raw.close();

  const second = await openStore({ dataDir });
  try {
    const row = await second.db.selectFrom('settings').select('value').where('name', '=', 'probe').executeTakeFirst();
    assert.equal(row?.value, 'kept');
  } finally {
    await second.close();
  }
  const check = new SQLite(path.join(dataDir, 'taskd.db'), { readonly: true });
  assert.equal(check.pragma('auto_vacuum', { simple: true }), 2, 'incremental');
  check.close();
});
