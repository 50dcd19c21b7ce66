// Who a task is on the host, and where its directories live. When taskd runs as root, tasks run as
// the configured unprivileged user (TASKD_TASK_UID/GID): root is never theirs, neither for their
// own processes nor for bubblewrap setting up their sandbox. Otherwise they run as taskd's own
// user, which is no root either. Inside the sandbox both are uid 2000, `vcap`.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, chmodSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';

export interface HostUser {
  uid: number;
  gid: number;
}

/** The host user tasks run as: undefined when that is taskd's own (taskd is no root). */
export function taskHostUser(config: Pick<Config, 'taskUid' | 'taskGid'>): HostUser | undefined {
  return process.getuid?.() === 0 ? { uid: config.taskUid, gid: config.taskGid } : undefined;
}

/** Where root's tasks have their directories: each a mount point, under directories only root writes. */
const ROOT_TASK_DIRS = '/run/taskd';

/**
 * The folder of this data directory's task directories. As taskd's own user, its data directory.
 * As root, a folder under /run that the task user can pass through (mode 711) but not list:
 * bubblewrap, started as the task user, must reach the task's own directory, and the data
 * directory (and the folders above it, such as /root) need not be open to anyone.
 */
export function taskDirsRoot(dataDir: string, user: HostUser | undefined): string {
  if (!user) return path.join(dataDir, 'tasks');
  const key = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
  return path.join(ROOT_TASK_DIRS, key);
}

/** Makes the folders of root's task directories, passable by the task user, never writable by it. */
export function prepareTaskDirsRoot(root: string): void {
  for (const dir of [path.dirname(root), root]) {
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    const st = lstatSync(dir);
    if (!st.isDirectory() || st.uid !== 0) throw new Error(`${dir} must be a directory of root's`);
    chmodSync(dir, 0o711);
  }
}

/** Who tasks are, in words for the start-up log and GET /v3/info. */
export function describeTaskUser(config: Pick<Config, 'taskUid' | 'taskGid'>, sandboxed: boolean): string {
  const user = taskHostUser(config);
  const host = user ? `host uid ${user.uid}, gid ${user.gid}` : `taskd's own host uid ${process.getuid?.()}`;
  return sandboxed ? `vcap (uid 2000 in the sandbox; ${host})` : host;
}
