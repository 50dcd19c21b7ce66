// A filesystem of the task's own, sized to its disk_in_mb: an ext4 image on the data directory's
// disk, loop-mounted (nosuid, nodev) as the task's working directory. The kernel then bounds what
// the task can put on disk, whatever way it writes — many files, many processes, files deleted
// while still open, sparse or fallocated files — with ENOSPC at the quota and an inode count in
// proportion, where a walk of the directory sees none of the deleted-but-open bytes. The image is
// preallocated, so tasks cannot together promise the host's disk more than it has. Needs root
// (mount); elsewhere the watchdog and RLIMIT_FSIZE stand in, as GET /v3/info says.
// Plain JavaScript, Node's own imports only.
//
// Making one costs about 150 ms of the kernel's time (mkfs, a loop device, mount, umount), and the
// kernel does that work one at a time: so a filesystem that held few files is kept, emptied, for
// the next task of the same size (`takeFilesystem`, `giveBackFilesystem`). What a task deleted cannot be read by the
// next: ext4 hands out no stale block through a file, and no task sees the loop device.
import { chmod, lchown, mkdir, readdir, readFile, rm, rmdir, statfs } from 'node:fs/promises';
import path from 'node:path';
import { DROPLET_IMAGE_PREFIX } from './droplet-images.mjs';
import { runTool as run } from './tools.mjs';

const MOUNT_OPTIONS = 'loop,nosuid,nodev,noatime';
const MB = 1024 * 1024;

/**
 * A mounted task filesystem. `reusable`: nothing of the task that had it can still run, so it
 * may be emptied for the next.
 * @typedef {{ image: string, mountpoint: string, sizeMb: number, reusable?: boolean }} TaskFilesystem
 */

/**
 * Makes and mounts a filesystem for tasks: `image` preallocated to `sizeMb`, formatted (no journal:
 * its contents live as long as a task), mounted at `mountpoint`; its root is root's until a task
 * takes it (takeFilesystem).
 * @param {string} image
 * @param {string} mountpoint
 * @param {number} sizeMb
 */
export async function mountTaskFilesystem(image, mountpoint, sizeMb) {
  await mkdir(path.dirname(image), { recursive: true, mode: 0o700 });
  await mkdir(mountpoint, { recursive: true, mode: 0o700 });
  try {
    // Preallocated: a sparse image would let the host's disk run out under a task within quota.
    await run('/usr/bin/fallocate', ['-l', String(sizeMb * MB), image]);
    // prettier-ignore
    await run('/usr/sbin/mkfs.ext4', [
      '-q', '-F', '-m', '0', '-O', '^has_journal,^resize_inode', '-E', 'lazy_itable_init=1,nodiscard', image,
    ]);
    await run('/usr/bin/mount', ['-t', 'ext4', '-o', MOUNT_OPTIONS, image, mountpoint]);
    // mkfs's lost+found is of no use to a task; its directory is the app's own.
    await rmdir(path.join(mountpoint, 'lost+found')).catch(() => {});
  } catch (err) {
    await unmountTaskFilesystem(image, mountpoint);
    throw err;
  }
}

/**
 * Whether the filesystem at `mountpoint` is full: no inode left, or less room than 1% of it (64 KiB
 * at least) — after a write failed with ENOSPC, the blocks of its partial data are free again.
 * @param {string} mountpoint
 */
export async function filesystemFull(mountpoint) {
  try {
    const st = await statfs(mountpoint);
    return st.ffree === 0 || st.bavail * st.bsize < Math.max(64 * 1024, (st.blocks * st.bsize) / 100);
  } catch {
    return false;
  }
}

/**
 * Unmounts (lazily, so a process still holding a file cannot keep it) and removes the mount point
 * and the image; each step is tried whatever the last did, so a half-made one goes too. The loop
 * device is freed by the kernel with the last reference (mount's autoclear).
 * @param {string} image
 * @param {string} mountpoint
 */
export async function unmountTaskFilesystem(image, mountpoint) {
  await run('/usr/bin/umount', ['-l', mountpoint]).catch(() => {});
  await rmdir(mountpoint).catch(() => {});
  await rm(image, { force: true }).catch(() => {});
}

/**
 * Emptied filesystems kept mounted for the next task, by size in MB.
 * @type {Map<number, TaskFilesystem[]>}
 */
const idle = new Map();
/** Filesystems of one size kept at most: about as many as tasks run at once. */
const IDLE_PER_SIZE = 8;
let made = 0;

/**
 * A filesystem of `sizeMb` for one task, root owned by `owner`: an idle one, else a new one,
 * its image in `imagesDir` and its mount point in `mountsDir`.
 * @param {string} imagesDir
 * @param {string} mountsDir
 * @param {number} sizeMb
 * @param {{ uid: number, gid: number }} owner
 * @returns {Promise<TaskFilesystem>}
 */
export async function takeFilesystem(imagesDir, mountsDir, sizeMb, owner) {
  let fs = idle.get(sizeMb)?.pop();
  if (!fs) {
    const name = `fs-${process.pid}-${++made}`;
    fs = { image: path.join(imagesDir, `${name}.ext4`), mountpoint: path.join(mountsDir, name), sizeMb };
    await mountTaskFilesystem(fs.image, fs.mountpoint, sizeMb);
  }
  // Kept for another task only if nothing of this one can be left running (its runner says so).
  fs.reusable = true;
  await lchown(fs.mountpoint, owner.uid, owner.gid);
  await chmod(fs.mountpoint, 0o700);
  return fs;
}

/**
 * A task has ended. Where nothing of it can run any more (`reusable`), its filesystem is emptied
 * (the task may have made it anything: links are removed, never followed) and kept for the next
 * task; otherwise it is unmounted unread, never walked as root under a process that could still
 * move things in it.
 * @param {TaskFilesystem} fs
 */
export async function giveBackFilesystem(fs) {
  const kept = idle.get(fs.sizeMb) ?? [];
  if (fs.reusable && kept.length < IDLE_PER_SIZE && (await fewFiles(fs.mountpoint))) {
    try {
      const names = await readdir(fs.mountpoint);
      await Promise.all(names.map((name) => rm(path.join(fs.mountpoint, name), { recursive: true, force: true })));
      kept.push(fs);
      idle.set(fs.sizeMb, kept);
      return;
    } catch {
      // Not emptied: not kept either.
    }
  }
  await unmountTaskFilesystem(fs.image, fs.mountpoint);
}

/**
 * Files a filesystem may hold and still be emptied for the next task. On ext4 without a journal a
 * new file passes over inodes freed in the last minute or so (`recently_deleted`), so the next
 * task's copy of a large droplet into one emptied of 20,000 files took 6-14 s where a new
 * filesystem took 1.5 s; and emptying it cost 0.4 s where making a new one costs 20 ms.
 */
const REUSE_MAX_FILES = 1000;

/** @param {string} mountpoint */
async function fewFiles(mountpoint) {
  try {
    const st = await statfs(mountpoint);
    return st.files - st.ffree <= REUSE_MAX_FILES;
  } catch {
    return false;
  }
}

/** Unmounts every idle filesystem (the supervisor is leaving). */
export async function releaseIdleFilesystems() {
  const all = [...idle.values()].flat();
  idle.clear();
  await Promise.all(all.map((fs) => unmountTaskFilesystem(fs.image, fs.mountpoint)));
}

/**
 * Unmounts and removes the filesystems a supervisor that is gone left in `mountsDir` / `imagesDir`
 * (only one supervisor serves a data directory, so none of them is in use).
 * @param {string} imagesDir
 * @param {string} mountsDir
 */
export async function removeLeftFilesystems(imagesDir, mountsDir) {
  // Droplet images (droplet-images.mjs) too: a new supervisor makes its own.
  const left = (/** @type {string} */ n) => n.startsWith('fs-') || n.startsWith(DROPLET_IMAGE_PREFIX);
  const names = await readdir(mountsDir).catch(() => /** @type {string[]} */ ([]));
  await Promise.all(names.filter(left).map((n) => unmountTaskFilesystem(path.join(imagesDir, `${n}.ext4`), path.join(mountsDir, n))));
  const images = await readdir(imagesDir).catch(() => /** @type {string[]} */ ([]));
  await Promise.all(images.filter(left).map((n) => rm(path.join(imagesDir, n), { force: true })));
}

/**
 * Unmounts task filesystems under `tasksDirs` (/run/taskd) whose image was deleted: their data
 * directory is gone (a test's, or an operator's), and a supervisor killed with it can no longer
 * release them. Until unmounted, the deleted image's preallocated space stays taken.
 * @param {string} tasksDirs
 */
export async function removeOrphanedFilesystems(tasksDirs) {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8').catch(() => ''))
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f[4]?.startsWith(`${tasksDirs}/`) && /^\/dev\/loop\d+$/.test(f[f.indexOf('-') + 2] ?? ''));
  await Promise.all(
    mounts.map(async (f) => {
      const device = path.basename(f[f.indexOf('-') + 2]);
      const backing = await readFile(`/sys/block/${device}/loop/backing_file`, 'utf8').catch(() => '');
      if (backing.trim().endsWith(' (deleted)')) await run('/usr/bin/umount', ['-l', f[4]]).catch(() => {});
    }),
  );
}

/**
 * Whether this host can give tasks filesystems of their own: taskd is root and a loop mount works.
 * @param {string} dir
 * @returns {Promise<{ usable: boolean, reason: string }>}
 */
export async function probeTaskFilesystems(dir) {
  if (process.getuid?.() !== 0) return { usable: false, reason: 'taskd does not run as root (mounting needs it)' };
  const image = path.join(dir, `probe-${process.pid}.ext4`);
  const mountpoint = path.join(dir, `probe-${process.pid}`);
  try {
    await mountTaskFilesystem(image, mountpoint, 1);
    return { usable: true, reason: 'loop-mounted ext4 per task' };
  } catch (err) {
    return { usable: false, reason: /** @type {Error} */ (err).message };
  } finally {
    await unmountTaskFilesystem(image, mountpoint);
  }
}
