// The races check at quick size (reliability/checks/02-races.ts): 4 clients × 50 creates on one
// app and 100 cancel-versus-exit races, against real taskd processes — one on SQLite, two on one
// PostgreSQL schema when TASKD_TEST_PG_URL is set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PG_URL } from '../support/harness.js';
import { runRaces } from '../../reliability/checks/02-races.js';
import { startFromBundle } from '../../reliability/support/taskd-process.js';
import { RUNS_COMPILED } from '../support/taskd-process.js';

// Run compiled (npm test), the taskd processes started here run taskd bundled from the code as it
// is, as TaskdProcess does (TASKD_SERVER): through tsx each took seconds of CPU to start.
if (RUNS_COMPILED) startFromBundle();

const SEED = 20261130;

for (const kind of ['sqlite', 'postgres'] as const) {
  const skip = kind === 'postgres' && !PG_URL ? 'TASKD_TEST_PG_URL is not set: no PostgreSQL to race two taskd processes on' : false;
  test(
    `races on ${kind}: sequence ids 1..200 under concurrent creates, one final state per cancel-versus-exit race, reported once`,
    { skip, timeout: 300_000 },
    async () => {
      const report = await runRaces(kind, { quick: true, seed: SEED, log: () => {} });
      assert.equal(report.skipped, undefined);
      assert.deepEqual(report.failures, [], `seed ${SEED}:\n${report.failures.join('\n')}`);
      assert.equal(report.trials, 300);
      assert.equal(report.figures.creates, 200);
      assert.equal(
        Number(report.figures['races won by cancel (FAILED "task was cancelled")']) +
          Number(report.figures['races won by exit (SUCCEEDED)']),
        100,
        'every race ended one way or the other',
      );
      assert.equal(report.figures['5xx answers'], 0);
    },
  );
}
