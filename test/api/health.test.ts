// GET /healthz and /readyz: public probes. Readiness fails for real causes here — a missing
// migration record, a runner whose heartbeat row is gone, a closed store — never a mock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { describeEachStore, type Harness } from '../support/harness.js';

async function readiness(h: Harness) {
  // No token: probes carry none.
  const res = await h.request('GET', '/readyz');
  assert.match(String(res.headers['content-type']), /^application\/json/);
  return res;
}

describeEachStore(
  'health probes',
  (h) => {
    test('GET /healthz answers ok without a token, and with a bad one', async () => {
      const asked: Record<string, string>[] = [{}, { authorization: 'bearer not-a-token' }];
      for (const headers of asked) {
        const res = await h.request('GET', '/healthz', { headers });
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, { status: 'ok' });
      }
    });

    test('GET /readyz is 200 when the database answers, migrations are applied and the runner beats', async () => {
      const res = await readiness(h);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, {
        status: 'ready',
        checks: { database: { status: 'ok' }, migrations: { status: 'ok' }, runner: { status: 'ok' } },
      });
    });

    test('a migration the store has not applied makes the node unready, naming it', async () => {
      const last = await sql<{
        name: string;
        timestamp: string;
      }>`select name, timestamp from kysely_migration order by name desc limit 1`.execute(h.db);
      const { name, timestamp } = last.rows[0]!;
      await sql`delete from kysely_migration where name = ${name}`.execute(h.db);
      try {
        const res = await readiness(h);
        assert.equal(res.status, 503);
        assert.equal(res.body.status, 'unavailable');
        assert.deepEqual(res.body.checks.migrations, { status: 'failed', reason: `not applied: ${name}` });
        assert.deepEqual(res.body.checks.database, { status: 'ok' });
      } finally {
        await sql`insert into kysely_migration (name, timestamp) values (${name}, ${timestamp})`.execute(h.db);
      }
      assert.equal((await readiness(h)).status, 200);
    });

    test('a runner whose heartbeat row is gone makes the node unready, naming the runner', async () => {
      const rows = await h.db.selectFrom('runners').selectAll().execute();
      assert.equal(rows.length, 1, 'the suite runs one runner');
      await h.db.deleteFrom('runners').execute();
      try {
        const res = await readiness(h);
        assert.equal(res.status, 503);
        assert.equal(res.body.checks.runner.status, 'failed');
        assert.equal(res.body.checks.runner.reason, `runner ${rows[0]!.id} has no heartbeat row`);
        assert.deepEqual(res.body.checks.database, { status: 'ok' });
      } finally {
        await h.db.insertInto('runners').values(rows[0]!).execute();
      }
      assert.equal((await readiness(h)).status, 200);
    });

    test('a heartbeat older than the lease makes the node unready', async () => {
      const hourAgo = new Date(Date.now() - 3600_000).toISOString();
      await h.db.updateTable('runners').set({ heartbeat_at: hourAgo }).execute();
      try {
        const res = await readiness(h);
        assert.equal(res.status, 503);
        assert.match(res.body.checks.runner.reason, /^runner \S+ last beat 3600 s ago, beyond its 300 s lease$/);
      } finally {
        await h.db.updateTable('runners').set({ heartbeat_at: new Date().toISOString() }).execute();
      }
    });
    // A long lease: the runner beats every third of it, so no beat of its own undoes these tests' rows.
  },
  { runnerLeaseSeconds: 300 },
);

describeEachStore(
  'health probes of a node that runs no runner',
  (h) => {
    test('GET /readyz checks no runner', async () => {
      const res = await readiness(h);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.body.checks), ['database', 'migrations']);
    });

    test('with the store closed, /readyz is 503 naming the database and /healthz still answers', async () => {
      await h.taskd.ctx.store.close();
      const res = await readiness(h);
      assert.equal(res.status, 503);
      assert.equal(res.body.status, 'unavailable');
      assert.equal(res.body.checks.database.status, 'failed');
      assert.ok(res.body.checks.database.reason, 'says why');
      assert.doesNotMatch(res.text, /destroyed|stack/i, 'no internal error text reaches an anonymous caller');
      assert.equal((await h.request('GET', '/healthz')).status, 200);
    });
  },
  { runnerSlots: 0 },
);
