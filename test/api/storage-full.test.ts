// A full disk under the data directory (a small tmpfs, mounted here as root): creates and
// uploads answer a clean 503 CF-ServiceUnavailable and leave nothing half-written, output printed
// meanwhile waits for space rather than being lost, and once space is freed taskd goes on by
// itself. SQLite only: its database lives on the filled disk (PostgreSQL's disk full, 53100, is
// mapped by the same code; see test/store/errors.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { cfError, Harness } from '../support/harness.js';
import { createTask, eventually, outputOf, runnableApp, waitForTask } from '../runner/helpers.js';
import { createDroplet, uploadBits, waitForJob } from '../droplets/helpers.js';
import { goodBundle } from '../droplets/tarballs.js';
import { fillUp, mountSmallFilesystem, type SmallFilesystem } from '../../reliability/disk/small-filesystem.js';

const FULL_DETAIL = 'The server is out of storage space; nothing was changed. Try again once space is freed.';

let fs: SmallFilesystem | undefined;
let cannotMount: string | false = false;
try {
  fs = mountSmallFilesystem(32);
} catch (err) {
  cannotMount = `${(err as Error).message} (needs root)`;
}

describe('a full disk under the data directory [sqlite]', { skip: cannotMount }, () => {
  // Tasks ask for little disk: as root each gets a filesystem of its own, preallocated on this small one.
  const h = new Harness('sqlite', { dataDir: path.join(fs?.dir ?? '/nonexistent', 'data'), defaultDiskInMb: 2 });
  const filler = path.join(fs?.dir ?? '/nonexistent', 'filler');
  let app: any;

  before(async () => {
    await h.start();
    ({ app } = await runnableApp(h));
  });
  after(async () => {
    await h.stop();
    rmSync(h.config.dataDir, { recursive: true, force: true });
    fs?.unmount();
  });

  test('creates and uploads fail cleanly while full; output waits; all goes on once space is freed', async () => {
    // Prints a line every 0.1 s across the time the disk is full; long lines, so that its spool
    // (and the supervisor's log, saying so) cannot be written either. Four seconds: a task that
    // ended inside the window would give back its files' space, and a loaded machine (CI) can
    // take over two seconds for the steps below.
    const steady = await createTask(h, app.guid, 'for i in $(seq 1 40); do printf "line %s %03000d\\n" $i 0; sleep 0.1; done');
    await eventually(
      'the steady task prints',
      async () => (await outputOf(h, (await waitForTask(h, steady.guid, (t) => t.state === 'RUNNING')).id)).length > 0,
    );
    const droplet = await createDroplet(h, app.guid);
    const tasksBefore = await h.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    // An empty write-ahead log: SQLite reuses a log's room without asking the disk for more, so a
    // small write could otherwise still fit where earlier ones were.
    // The checkpoint cannot truncate while another connection reads (the steady task's lines are
    // being stored): asked again until it could, else the log would be reused, not grown.
    for (let i = 0; ; i++) {
      const { rows } = await sql<{ busy: number }>`PRAGMA wal_checkpoint(TRUNCATE)`.execute(h.db);
      if (Number(rows[0]?.busy) === 0) break;
      if (i === 200) throw new Error('the write-ahead log could not be truncated in 4 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    fillUp(filler);
    try {
      cfError(await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'echo never' }), 503, 'CF-ServiceUnavailable', 10015, FULL_DETAIL);
      const tasksNow = await h.db
        .selectFrom('tasks')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(tasksNow.n), Number(tasksBefore.n), 'no task row was left by the refused create');
      cfError(await uploadBits(h, droplet.guid, await goodBundle()), 503, 'CF-ServiceUnavailable', 10015, FULL_DETAIL);
      const incoming = path.join(h.config.dataDir, 'droplets', '.incoming');
      assert.deepEqual(existsSync(incoming) ? readdirSync(incoming) : [], [], 'no half-received upload is left');
      assert.equal((await h.get(`/v3/droplets/${droplet.guid}`)).body.state, 'AWAITING_UPLOAD', 'the droplet may be uploaded again');
      // The other dialects answer in their own envelopes: vSphere's session create stores a row.
      // This step is about the envelope of a full disk, so the row must not fit: the refused
      // upload gave back its few KB, and the write-ahead log keeps the room of the refused writes
      // before it, which SQLite reuses without asking the disk (a CI run saw the row fit there).
      // Full again, and asked until no such room is left, each session that fitted closed again.
      const basic = `Basic ${Buffer.from(`admin:${h.adminPassword}`).toString('base64')}`;
      let session;
      for (let attempt = 0; attempt < 5; attempt++) {
        fillUp(filler);
        session = await h.request('POST', '/api/session', { headers: { authorization: basic } });
        if (session.status !== 201) break;
        await h.request('DELETE', '/api/session', { headers: { 'vmware-api-session-id': String(session.body) } });
      }
      assert.ok(session);
      assert.equal(session.status, 503, session.text);
      assert.equal(session.body?.error_type, 'SERVICE_UNAVAILABLE', session.text);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      rmSync(filler);
    }
    const task = await createTask(h, app.guid, 'echo after the disk was full');
    const done = await waitForTask(h, task.guid);
    assert.equal(done.state, 'SUCCEEDED', JSON.stringify(done));
    assert.deepEqual(
      (await outputOf(h, done.id)).map((l) => l.text),
      ['after the disk was full'],
    );
    const upload = await uploadBits(h, droplet.guid, await goodBundle());
    assert.equal(upload.status, 202, upload.text);
    assert.equal((await waitForJob(h, String(upload.headers.location))).state, 'COMPLETE');
    const steadyDone = await waitForTask(h, steady.guid);
    assert.equal(steadyDone.state, 'SUCCEEDED', JSON.stringify(steadyDone));
    assert.deepEqual(
      (await outputOf(h, steadyDone.id)).map((l) => l.text),
      Array.from({ length: 40 }, (_, i) => `line ${i + 1} ${'0'.repeat(3000)}`),
      'every line printed while the disk was full was stored once space was freed',
    );
  });
});
