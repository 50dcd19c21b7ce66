// A small filesystem of its own (tmpfs, mounted by root) for a check to fill up, and a filler
// file that takes every byte left on it until ENOSPC.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface SmallFilesystem {
  /** The mount point. */
  dir: string;
  /** Bytes still free for an unprivileged writer. */
  freeBytes(): number;
  /** Unmounts it and removes the mount point; safe to call twice. */
  unmount(): void;
}

/**
 * Mounts a tmpfs of `sizeMb` under a new temporary directory. Throws (with mount's words) where
 * that is not allowed: the caller reports the check skipped.
 */
export function mountSmallFilesystem(sizeMb: number): SmallFilesystem {
  const parent = mkdtempSync(path.join(tmpdir(), 'taskd-diskfull-'));
  const dir = path.join(parent, 'fs');
  execFileSync('mkdir', [dir]);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=700`, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    rmSync(parent, { recursive: true, force: true });
    throw new Error(`cannot mount a tmpfs: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`, { cause: err });
  }
  let mounted = true;
  return {
    dir,
    freeBytes() {
      const s = statfsSync(dir);
      return s.bavail * s.bsize;
    },
    unmount() {
      if (mounted) {
        // Lazy: a process that still has a file open there (a task being killed) must not keep it mounted.
        execFileSync('umount', ['-l', dir]);
        mounted = false;
      }
      rmSync(parent, { recursive: true, force: true });
    },
  };
}

/**
 * Writes `file` until the filesystem refuses (ENOSPC), in ever smaller pieces down to one page,
 * so that nothing is left for anyone else. Answers the bytes it took.
 */
export function fillUp(file: string): number {
  const fd = openSync(file, 'a');
  let written = 0;
  try {
    for (const size of [1 << 20, 64 << 10, 4 << 10, 512]) {
      const chunk = Buffer.alloc(size, 0x2e);
      for (;;) {
        try {
          written += writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}
