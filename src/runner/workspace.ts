// Per-task working directories: `<tasks root>/<task guid>` (see task-user.ts for where the root
// is), the task's private, writable view of the droplet's files, owned by the task's user. As root,
// a link to an overlay over the droplet's shared read-only image, its upper layer on a filesystem
// of the task's own (limits/droplet-images.mjs); elsewhere a copy of the files — never hard links
// or the droplet directory itself: a task may write to or truncate its files, and through a hard
// link that would change the droplet under every later task. The directory is removed when the
// task ends: tasks are one-off, what they print is kept in the store.
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
