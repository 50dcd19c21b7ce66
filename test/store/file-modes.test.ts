// The data directory is taskd's user's alone (0700), and so are the files in it that hold secrets
// (0600): the database, its WAL and shared memory, the secret key file. Wider modes found at start
// are refused with the path, the mode and the fix, and left as they are.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createTaskd } from '../../src/taskd.js';
import { Harness, PG_URL } from '../support/harness.js';
import { TASKD_SERVER } from '../support/taskd-process.js';

const modeOf = (p: string) => (statSync(p).mode & 0o777).toString(8).padStart(4, '0');
const configFor = (dataDir: string) => ({ ...loadConfig({ env: {} }), dataDir, adminPassword: 'admin-test-password', runnerSlots: 0 });

describe('data directory and database file modes [sqlite]', () => {
  let root = '';
  let umask = 0;
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'taskd-modes-'));
    // A permissive umask, as on many desktops: the modes must not depend on it.
    umask = process.umask(0o002);
  });
  after(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  test('a fresh data directory is made 0700, the database, its WAL and shared memory and the secret key file 0600', async () => {
    const dataDir = path.join(root, 'fresh', 'data');
    const taskd = await createTaskd(configFor(dataDir));
    try {
      // A write, so the WAL and shared memory exist.
      await taskd.ctx.store.db.insertInto('settings').values({ name: 'mode-test', value: 'x' }).execute();
      assert.equal(modeOf(dataDir), '0700');
      for (const file of ['taskd.db', 'taskd.db-wal', 'taskd.db-shm', 'secret.key']) {
        assert.equal(modeOf(path.join(dataDir, file)), '0600', file);
      }
    } finally {
      await taskd.close();
    }
  });

  test('a data directory open to others (0755) is refused, named with its fix, and left as it is', async () => {
    const dataDir = path.join(root, 'wide');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    await assert.rejects(createTaskd(configFor(dataDir)), {
      message: `data directory ${dataDir} has mode 0755, open to group or others; it holds the database and keys: chmod 700 ${dataDir}`,
    });
    assert.equal(modeOf(dataDir), '0755', 'not changed behind the operator');
    assert.equal(existsSync(path.join(dataDir, 'taskd.db')), false, 'nothing written into it');
  });

  for (const file of ['taskd.db', 'taskd.db-wal', 'secret.key', 'admin-password']) {
    test(`${file} readable by others (0644) is refused at start, named with its fix`, async () => {
      const dataDir = path.join(root, `wide-${file}`);
      const first = await createTaskd(configFor(dataDir));
      await first.ctx.store.db.insertInto('settings').values({ name: 'mode-test', value: 'x' }).execute();
      // Closed without a checkpoint leaves no WAL behind; a crashed taskd would leave one.
      const target = path.join(dataDir, file);
      await first.close();
      if (!existsSync(target)) spawnSync('touch', [target]);
      chmodSync(target, 0o644);
      await assert.rejects(createTaskd(configFor(dataDir)), {
        message: `${target} has mode 0644, wider than 0600; it holds secrets: chmod 600 ${target}`,
      });
      assert.equal(modeOf(target), '0644');
      chmodSync(target, 0o600);
      const again = await createTaskd(configFor(dataDir));
      await again.close();
    });
  }

  test('taskd serve refuses such a directory in one line on stderr, exit status 1', () => {
    const dataDir = path.join(root, 'serve-wide');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o750);
    const run = spawnSync(process.execPath, [...TASKD_SERVER, 'serve', '--port', '0', '--data-dir', dataDir], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TASKD_ADMIN_PASSWORD: 'admin-test-password' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.equal(
      run.stderr,
      `taskd: cannot start: data directory ${dataDir} has mode 0750, open to group or others; it holds the database and keys: chmod 700 ${dataDir}\n`,
    );
  });
});

describe(
  'data directory modes [postgres]',
  { skip: PG_URL ? false : 'TASKD_TEST_PG_URL is not set: no PostgreSQL to test against' },
  () => {
    test('on PostgreSQL too a data directory open to others is refused: it holds the secret key file and droplets', async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-modes-pg-'));
      chmodSync(dataDir, 0o755);
      const h = new Harness('postgres', { dataDir });
      try {
        await assert.rejects(h.start(), { message: new RegExp(`^data directory ${dataDir} has mode 0755.*: chmod 700 ${dataDir}$`) });
        assert.equal(modeOf(dataDir), '0755');
      } finally {
        await h.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  },
);
