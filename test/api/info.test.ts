// GET /v3/info: CF's platform information, open without a token, with taskd's limits block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/harness.js';
import { sandboxInForce } from '../../src/runner/sandbox/detect.js';
import { LIMIT_MECHANISMS } from '../../src/runner/limits/mechanisms.js';

describeEachStore('GET /v3/info', (h) => {
  test('answers CF\'s shape without a token, and says how task limits are enforced', async () => {
    const res = await h.request('GET', '/v3/info', {});
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body), ['build', 'cli_version', 'custom', 'description', 'name', 'version', 'osbapi_version', 'links', 'taskd']);
    assert.equal(res.body.name, 'taskd');
    assert.deepEqual(res.body.custom, {});
    assert.equal(res.body.links.self.href, 'https://api.example.org/v3/info');
    // The sandbox depends on the host: bubblewrap where it works (sandbox.test.ts covers both).
    const sandbox = sandboxInForce(h.config.sandbox);
    assert.deepEqual(res.body.taskd, {
      limits: { memory: LIMIT_MECHANISMS.memory, processes: LIMIT_MECHANISMS.processes, disk: 'watchdog + RLIMIT_FSIZE', log_rate: 'token bucket', timeout: 'timer' },
      sandbox: sandbox.kind,
      sandbox_reason: sandbox.reason,
      task_network: 'on',
    });
  });
});
