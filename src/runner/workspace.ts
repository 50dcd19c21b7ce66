// Per-task working directories: `<tasks root>/<task guid>` (see task-user.ts for where the root
// is), a private copy of the droplet's files, owned by the task's user — on a filesystem of the
// task's own where the host gives one (the directory is then a link to it). A copy, not hard links
// or the droplet directory itself: a task may write to or truncate its files, and through a hard
// link that would change the droplet under every later task. Files are cloned (copy-on-write)
// where the filesystem can, else copied. The directory is removed when the task ends: tasks are
// one-off, what they print is kept in the store, and leaving copies behind would fill the disk one
// droplet at a time.
//
// The task supervisor (supervisor/workdir.mjs) makes and removes these directories, beside the
// server rather than in it; this side only names them, and removes those the helper could not
// (it died while their tasks ran; the next one unmounts what it left mounted).
import { rm } from 'node:fs/promises';
import path from 'node:path';

export class Workspaces {
  constructor(readonly root: string) {}

  dirOf(taskGuid: string): string {
    return path.join(this.root, path.basename(taskGuid));
  }

  async remove(taskGuid: string): Promise<void> {
    await rm(this.dirOf(taskGuid), { recursive: true, force: true, maxRetries: 2 });
  }
}
