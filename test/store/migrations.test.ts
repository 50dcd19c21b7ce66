import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { sql } from 'kysely';
import { openStore } from '../../src/store/database.js';
import { PG_URL } from '../support/harness.js';

test('SQLite: reopening an existing data directory keeps its data and migrates nothing twice', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-mig-'));
  try {
    const first = await openStore({ dataDir });
    await first.db.insertInto('settings').values({ name: 'probe', value: 'kept' }).execute();
    await first.close();
    const second = await openStore({ dataDir });
    const row = await second.db.selectFrom('settings').select('value').where('name', '=', 'probe').executeTakeFirst();
    assert.equal(row?.value, 'kept');
    const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(second.db);
    assert.deepEqual(
      applied.rows.map((r) => r.name),
      [...new Set(applied.rows.map((r) => r.name))],
    );
    await second.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test(
  'PostgreSQL: several taskd processes starting at once migrate one database exactly once',
  { skip: PG_URL ? false : 'TASKD_TEST_PG_URL is not set: no PostgreSQL to test against' },
  async () => {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    try {
      // Separate processes, as separate taskd nodes would be.
      const script = `import { openStore } from './src/store/database.ts';
        const s = await openStore({ dataDir: '/tmp', databaseUrl: process.env.URL, pgSchema: process.env.SCHEMA });
        await s.close();`;
      const runs = Array.from(
        { length: 4 },
        () =>
          new Promise<number>((resolve) => {
            const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
              env: { ...process.env, URL: PG_URL, SCHEMA: schema },
              stdio: ['ignore', 'ignore', 'inherit'],
            });
            child.on('exit', (code) => resolve(code ?? 1));
          }),
      );
      assert.deepEqual(await Promise.all(runs), [0, 0, 0, 0]);
      const applied = await admin.query(`select name from ${schema}.kysely_migration order by name`);
      const names = applied.rows.map((r) => r.name);
      assert.ok(names.length > 0);
      assert.deepEqual(names, [...new Set(names)]);
      const tables = await admin.query(
        `select count(*)::int as n from information_schema.tables where table_schema = $1 and table_name = 'organizations'`,
        [schema],
      );
      assert.equal(tables.rows[0].n, 1);
    } finally {
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    }
  },
);
