// A staged droplet's image (the shared lower layer of its tasks' overlays, as root with a
// filesystem per task) is made when the droplet is staged, not by its first task: the task a user
// runs right after a push starts as fast as the next one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Harness } from '../support/harness.js';
import { createTask, eventually, hostWorkDir, runnableApp, waitForTask } from './helpers.js';
import { taskFilesystemSupport } from '../../src/runner/limits/mechanisms.js';

/** Droplet images mounted under the harness's task directories (droplet-images.mjs: `drop-…`). */
function mountedImages(h: Harness): string[] {
  const root = path.dirname(hostWorkDir(h, 'x'));
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountpoint) => path.dirname(mountpoint) === root && path.basename(mountpoint).startsWith('drop-'));
}

describe('droplet images', async () => {
  const support = await taskFilesystemSupport();
  const h = new Harness('sqlite');
  before(() => (support.usable ? h.start() : undefined));
  after(() => (support.usable ? h.stop() : undefined));

  test('a droplet is made into its image when it is staged, and its first task starts from that image', async (t) => {
    if (!support.usable) return t.skip(`no filesystem per task here: ${support.reason}`);
    const { app } = await runnableApp(h);
    await eventually("the staged droplet's image is mounted before any task of it ran", () => mountedImages(h).length === 1);
    const [image] = mountedImages(h);
    const task = await createTask(h, app.guid, 'test -f app/run.sh');
    const ended = await waitForTask(h, task.guid);
    assert.equal(ended.state, 'SUCCEEDED', ended.failure_reason ?? '');
    assert.deepEqual(mountedImages(h), [image], 'the task used the image made at staging, not one of its own');
  });
});
