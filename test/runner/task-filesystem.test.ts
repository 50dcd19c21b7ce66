// Task filesystems (limits/task-filesystem.mjs): a task's own ext4, loop-mounted. Making one takes
// the kernel a while on a busy disk, so one of a size in use is made ahead: a task that starts
// right after others took every idle one does not wait for mkfs. Needs root and loop mounts.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  probeTaskFilesystems,
  releaseIdleFilesystems,
  takeFilesystem,
  giveBackFilesystem,
} from '../../src/runner/limits/task-filesystem.mjs';
import { eventually } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'taskd-fs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const images = path.join(dir, 'images');
const mounts = path.join(dir, 'mounts');
const owner = { uid: 0, gid: 0 };
const mountedUnder = () =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line.split(' ')[4]?.startsWith(`${mounts}/`)).length;

const support = await probeTaskFilesystems(dir);
if (!support.usable) console.log(`# task filesystem tests skipped: ${support.reason}`);

test(
  'a spare of the size in use is made ahead, so the next task finds one mounted; all are unmounted when the supervisor leaves',
  { skip: !support.usable && support.reason },
  async () => {
    const first = await takeFilesystem(images, mounts, 16, owner);
    await eventually('a spare mounted beside the one taken', () => mountedUnder() === 2);
    const second = await takeFilesystem(images, mounts, 16, owner);
    assert.notEqual(second.mountpoint, first.mountpoint);
    await eventually('another spare for the next', () => mountedUnder() === 3);
    await giveBackFilesystem(first);
    await giveBackFilesystem(second);
    await releaseIdleFilesystems();
    assert.equal(mountedUnder(), 0, 'nothing left mounted');
  },
);
