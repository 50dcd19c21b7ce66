// The crash checks at quick size inside npm test: taskd killed with SIGKILL (and, in the other
// check, its task supervisor first) while tasks run and cancels are in flight, then started
// again — every property of reliability/checks/01-crash-restart.ts must hold. Both run at once:
// each trial starts taskd twice, which is most of its time. Readiness within 2 s is reported by
// `npm run reliability`, not asserted here (no timed assertions in tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checks } from '../../reliability/checks/01-crash-restart.js';
import { startFromBundle } from '../../reliability/support/taskd-process.js';
import { RUNS_COMPILED } from '../support/taskd-process.js';

// Run compiled (npm test), the taskd processes started here run taskd bundled from the code as it
// is, as TaskdProcess does (TASKD_SERVER): through tsx each took seconds of CPU to start.
if (RUNS_COMPILED) startFromBundle();

test('after kill -9 of taskd or of its task supervisor and a restart, every promise holds', async () => {
  const seed = Math.floor(Math.random() * 2 ** 31);
  const reports = await Promise.all(
    checks.map(async (check) => ({ check, report: await check.run({ quick: true, seed, log: () => {} }) })),
  );
  for (const { check, report } of reports) {
    assert.equal(report.skipped, undefined);
    assert.ok(report.trials > 0, `${check.name} ran no trial`);
    assert.deepEqual(report.failures, [], `${check.name} (seed ${seed}): ${JSON.stringify(report.figures)}`);
    // A trial that made no task would hold every property vacuously.
    assert.ok(Number(report.figures['acknowledged creates per trial']) > 0, `${check.name} made no task`);
  }
});
