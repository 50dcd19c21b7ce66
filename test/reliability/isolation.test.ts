// The quick tenant-isolation check (reliability/checks/03-isolation.ts) on each store: no role of
// one tenant lists, counts, pages to, or gets an answer about another tenant's tasks in any API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checks } from '../../reliability/checks/03-isolation.js';
import { PG_URL } from '../support/harness.js';

const seed = Number(process.env.TASKD_RELIABILITY_SEED ?? 20261130);

for (const check of checks) {
  const skip = check.name === 'isolation-postgres' && !PG_URL ? 'TASKD_TEST_PG_URL is not set: no PostgreSQL to test against' : false;
  test(`${check.name}: no tenant sees, counts, pages to or probes another tenant's tasks (seed ${seed})`, { skip }, async () => {
    const report = await check.run({ quick: true, seed, log: () => {} });
    assert.equal(report.skipped, undefined);
    assert.deepEqual(report.failures, [], `replay with TASKD_RELIABILITY_SEED=${seed}`);
    assert.equal(report.figures['property runs'], 6 * 25, 'every property ran its full quick count');
    // Every list and single-task endpoint of the four APIs was reached, not just some.
    assert.ok(Number(report.figures['endpoints covered']) >= 25, `endpoints covered: ${report.figures['endpoints covered']}`);
  });
}
