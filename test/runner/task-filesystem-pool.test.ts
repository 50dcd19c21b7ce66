// The pool of task filesystems (limits/task-filesystem.mjs): one a task left with few files is
// emptied for the next task of its size; one it filled with many is made anew, since ext4 makes
// creating files in a filesystem just emptied of thousands many times slower (bench: droplets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { giveBackFilesystem, releaseIdleFilesystems, takeFilesystem } from '../../src/runner/limits/task-filesystem.mjs';

const asRoot = process.getuid?.() === 0;

test(
  'a filesystem left with few files is emptied and reused; one left with many is replaced',
  { skip: !asRoot && 'needs root (loop mounts)' },
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'taskd-fs-pool-'));
    const owner = { uid: 0, gid: 0 };
    try {
      const first = await takeFilesystem(path.join(dir, 'images'), path.join(dir, 'mounts'), 16, owner);
      for (let i = 0; i < 10; i++) writeFileSync(path.join(first.mountpoint, `f${i}`), 'x');
      await giveBackFilesystem(first);
      const second = await takeFilesystem(path.join(dir, 'images'), path.join(dir, 'mounts'), 16, owner);
      assert.equal(second.mountpoint, first.mountpoint, 'few files: the same filesystem again');
      assert.deepEqual(readdirSync(second.mountpoint), [], 'emptied for the next task');

      for (let i = 0; i < 1500; i++) writeFileSync(path.join(second.mountpoint, `f${i}`), 'x');
      await giveBackFilesystem(second);
      const third = await takeFilesystem(path.join(dir, 'images'), path.join(dir, 'mounts'), 16, owner);
      assert.notEqual(third.mountpoint, second.mountpoint, 'many files: a new filesystem');
      assert.deepEqual(readdirSync(third.mountpoint), []);
      assert.deepEqual(readdirSync(path.join(dir, 'mounts')), [path.basename(third.mountpoint)], 'the full one is gone, not kept');
      await giveBackFilesystem(third);
    } finally {
      await releaseIdleFilesystems();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
