// The quick token check (reliability/checks/04b-tokens.ts): every authenticated route of the four
// APIs in /openapi.json refuses expired, malformed, alg:none and removed-user credentials (and
// unknown vSphere sessions, wrong Basic passwords) with a 401 in that API's own envelope.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokensCheck } from '../../reliability/checks/04b-tokens.js';

test("bad credentials on every authenticated route of all four APIs are a 401 in that API's envelope", async () => {
  const report = await tokensCheck.run({ quick: true, seed: 1, log: () => {} });
  assert.deepEqual(report.failures, []);
  // All four APIs' routes were reached, with each kind of bad credential.
  for (const api of ['cf', 'astra', 'vsphere', 'dbvisit'])
    assert.match(String(report.figures['requests per API']), new RegExp(`\\b${api} \\d+`));
  for (const kind of ['missing', 'expired', 'malformed', 'alg-none', 'deleted-user', 'unknown-session', 'wrong-password']) {
    assert.ok(String(report.figures['credential kinds']).split(', ').includes(kind), `no ${kind} credential was tried`);
  }
  assert.ok(Number(report.figures['authenticated routes']) >= 80, `only ${report.figures['authenticated routes']} authenticated routes`);
});
