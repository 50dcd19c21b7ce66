// Per-task working directories: `<tasks root>/<task guid>` (see task-user.ts for where the root
// is), a private copy of the droplet's files, owned by the task's user — on a filesystem of the
// task's own where the host gives one. A copy, not hard links or the droplet directory itself: a
// task may write to or truncate its files, and through a hard link that would change the droplet
// under every later task. Files are cloned (copy-on-write) where the filesystem can, else copied.
// The directory is removed when the task ends: tasks are one-off, what they print is kept in the
// store, and leaving copies behind would fill the disk one droplet at a time.
//
// The task supervisor (supervisor/workdir.mjs) makes and removes these directories, beside the
// server rather than in it; this side only names them, and removes those the helper could not
// (it died while their tasks ran).
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { unmountTaskFilesystem } from './limits/task-filesystem.mjs';

export class Workspaces {
  /** Where a task's own filesystem image is kept while it runs: on the data directory's disk. */
  private readonly imagesRoot: string;

  constructor(
    dataDir: string,
    readonly root: string,
  ) {
    this.imagesRoot = path.join(dataDir, 'run', 'disks');
  }

  dirOf(taskGuid: string): string {
    return path.join(this.root, path.basename(taskGuid));
  }

  imageOf(taskGuid: string): string {
    return path.join(this.imagesRoot, `${path.basename(taskGuid)}.ext4`);
  }

  async remove(taskGuid: string): Promise<void> {
    // A filesystem of its own is unmounted first (nothing happens where there is none).
    await unmountTaskFilesystem(this.imageOf(taskGuid), this.dirOf(taskGuid));
    await rm(this.dirOf(taskGuid), { recursive: true, force: true, maxRetries: 2 });
  }
}
