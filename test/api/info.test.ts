// GET /v3/info: CF's platform information, open without a token, with taskd's limits block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/harness.js';
import { sandboxInForce } from '../../src/runner/sandbox/detect.js';
import { limitMechanisms, taskFilesystemSupport } from '../../src/runner/limits/mechanisms.js';
import { describeTaskUser } from '../../src/runner/task-user.js';

describeEachStore('GET /v3/info', (h) => {
  test("answers CF's shape without a token, and says how task limits are enforced", async () => {
    const res = await h.request('GET', '/v3/info', {});
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body), [
      'build',
      'cli_version',
      'custom',
      'description',
      'name',
      'version',
      'osbapi_version',
      'links',
      'taskd',
    ]);
    assert.equal(res.body.name, 'taskd');
    assert.deepEqual(res.body.custom, {});
    assert.equal(res.body.links.self.href, 'https://api.example.org/v3/info');
    // The sandbox depends on the host: bubblewrap where it works (sandbox.test.ts covers both).
    const sandbox = sandboxInForce(h.config.sandbox);
    const host = await limitMechanisms(h.config);
    assert.deepEqual(res.body.taskd, {
      limits: {
        memory: host.memory,
        processes: host.processes,
        disk: host.disk,
        cpu: host.cpu,
        pause: host.pause,
        log_rate: 'token bucket',
        timeout: 'timer',
      },
      droplet_view: (await taskFilesystemSupport()).usable
        ? "overlay: the droplet's read-only image under the task's own writable layer"
        : 'a copy of the droplet per task',
      sandbox: sandbox.kind,
      sandbox_reason: sandbox.reason,
      task_network: 'on',
      task_user: describeTaskUser(h.config, sandbox.kind === 'bwrap'),
    });
  });

  test('names the mechanism of each limit as this host has it: as root with cgroup v1, cgroups, a filesystem per task and the freezer', async (t) => {
    const host = await limitMechanisms(h.config);
    if (process.getuid?.() !== 0 || host.memory !== 'cgroup v1') return t.skip('needs root and writable cgroup v1 hierarchies');
    const { body } = await h.request('GET', '/v3/info', {});
    assert.equal(body.taskd.limits.disk, (await taskFilesystemSupport()).usable ? 'filesystem per task' : 'watchdog + RLIMIT_FSIZE');
    assert.equal(body.taskd.limits.cpu, `cgroup v1: shared by organization, then by memory_in_mb; quota of ${h.config.taskCpuCores} cores`);
    assert.equal(body.taskd.limits.pause, 'cgroup v1 freezer');
    assert.match(body.taskd.task_user, new RegExp(`host uid ${h.config.taskUid}, gid ${h.config.taskGid}`));
  });
});
