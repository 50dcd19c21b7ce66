// The quick hostile-input check (reliability/checks/04-hostile-input.ts): 200 fuzzed
// requests per API against a taskd on a real port — SQLite always, PostgreSQL too when
// TASKD_TEST_PG_URL is set — with no 5xx, no hang, every refusal in its API's envelope, no
// half-written rows, and taskd ready afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostileInputCheck, QUICK_PER_API } from '../../reliability/checks/04-hostile-input.js';
import { API_NAMES } from '../../reliability/fuzz/routes.js';
import { PG_URL } from '../support/harness.js';

const seed = Number(process.env.TASKD_RELIABILITY_SEED ?? 20261130);

test(`hostile input: no 5xx, every refusal in its own envelope, nothing half-written (seed ${seed})`, async () => {
  const report = await hostileInputCheck.run({ quick: true, seed, log: () => {} });
  assert.deepEqual(report.failures, [], `replay with TASKD_RELIABILITY_SEED=${seed}`);
  for (const store of PG_URL ? ['sqlite', 'postgres'] : ['sqlite']) {
    for (const api of API_NAMES) {
      // Every API got its share, and some of it was refused: the attack reached taskd's checks.
      const statuses = String(report.figures[`${store} ${api}: statuses`]);
      assert.ok(String(report.figures[`${store} ${api}: requests`]).startsWith(`${QUICK_PER_API} in `), `${store} ${api}`);
      assert.match(statuses, /\b4\d\d×\d+/, `${store} ${api} refused nothing: ${statuses}`);
      assert.match(statuses, /\b2\d\d×\d+/, `${store} ${api} accepted nothing, so the valid requests are broken: ${statuses}`);
    }
  }
});
