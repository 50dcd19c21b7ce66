// Task working directories, made and removed by the supervisor. Where the host gives each task a
// filesystem of its own (taskd as root), an overlay of the droplet's shared read-only image under
// an upper layer on that filesystem (limits/droplet-images.mjs): its start costs the same for any
// droplet. Elsewhere a copy of the droplet's tree per task (never hard links: a task may write to
// its files), owned by the task's user. Removed once the task has ended. Plain JavaScript, Node's
// modules only.
import { constants } from 'node:fs';
import { copyFile, lchown, lstat, mkdir, readdir, readlink, rm, rmdir, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { giveBackFilesystem, takeFilesystem } from '../limits/task-filesystem.mjs';
import { dropletImage, mountOverlay, unmountOverlay } from '../limits/droplet-images.mjs';
import { note } from './note.mjs';

/** @import { TaskFilesystem } from '../limits/task-filesystem.mjs' */
/** @import { TaskIdentity } from './protocol.js' */
/**
 * The files of a tree by path relative to it, directories parent first.
 * @typedef {{ dirs: string[], files: string[], links: string[] }} Tree
 */
/**
 * A task directory as made: what was copied in, its own filesystem if it has one, and the overlay
 * mounted on it if the droplet is seen through one.
 * @typedef {Tree & { filesystem?: TaskFilesystem, overlay?: string }} Workdir
 */

/**
 * Directory copies and removals in progress, waited for before the supervisor exits.
 * @type {Set<Promise<unknown>>}
 */
export const fileWork = new Set();
/**
 * Parent directories already made: `mkdir -p` once each, not per task.
 * @type {Map<string, Promise<unknown>>}
 */
const madeRoots = new Map();
/** Node has getuid and getgid on every POSIX system; the supervisor runs on Linux only. */
export const posixProcess = /** @type {Required<NodeJS.Process>} */ (process);

/**
 * @template T
 * @param {Promise<T>} work
 * @returns {Promise<T>}
 */
export function track(work) {
  fileWork.add(work);
  // Forgotten however it ends; a failure stays the caller's to handle (the promise returned).
  const forget = () => fileWork.delete(work);
  work.then(forget, forget);
  return work;
}

/**
 * The files of a tree, read once per copy: `{ dirs, files, links }` of paths relative to it,
 * directories parent first. Droplets are immutable once staged, but they can be deleted, so the
 * listing is not kept between tasks.
 * @param {string} root
 */
async function listTree(root) {
  /** @type {Tree} */
  const tree = { dirs: [], files: [], links: [] };
  /** @param {string} rel */
  const walk = async (rel) => {
    const entries = await readdir(rel ? path.join(root, rel) : root, { withFileTypes: true });
    const subdirs = [];
    for (const entry of entries) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        tree.dirs.push(child);
        subdirs.push(child);
      } else if (entry.isSymbolicLink()) tree.links.push(child);
      else if (entry.isFile()) tree.files.push(child);
    }
    await Promise.all(subdirs.map(walk));
  };
  await walk('');
  return tree;
}

/**
 * Copies a droplet tree into the directory `to` (made here unless `made`): directories first
 * (parents before their children), then files (cloned copy-on-write where the filesystem can) and
 * symlinks as they are, all then given to `owner` ({ uid, gid }) if one is named. Returns the tree
 * for the removal.
 * @param {string} from
 * @param {string} to
 * @param {TaskIdentity | undefined} owner
 */
async function copyTree(from, to, owner, made = false) {
  const tree = await listTree(from);
  if (!made) await mkdir(to, { mode: 0o700 });
  for (const dir of tree.dirs) await mkdir(path.join(to, dir), { mode: 0o700 });
  await Promise.all([
    ...tree.files.map((file) => copyFile(path.join(from, file), path.join(to, file), constants.COPYFILE_FICLONE)),
    ...tree.links.map(async (link) => symlink(await readlink(path.join(from, link)), path.join(to, link))),
  ]);
  if (owner) {
    // lchown: a symlink is given away itself, never what it points to.
    await Promise.all(['', ...tree.dirs, ...tree.files, ...tree.links].map((p) => lchown(path.join(to, p), owner.uid, owner.gid)));
  }
  return tree;
}

/**
 * Makes the folder of task directories (and droplet image mounts) once.
 * @param {string} dir
 */
export function ensureRoot(dir) {
  let made = madeRoots.get(dir);
  if (!made) {
    made = mkdir(dir, { recursive: true, mode: 0o700 });
    madeRoots.set(dir, made);
    made.catch(() => madeRoots.delete(dir));
  }
  return made;
}

/**
 * Makes `cwd` as a copy of `source` owned by `owner` (none: this process's user) — on a filesystem
 * of its own when `disk` ({ imagesDir, sizeMb }) is given, `cwd` then a link to where it is
 * mounted; a partial one (the droplet vanished mid-way, the disk is full) is removed.
 * @param {string} source
 * @param {string} cwd
 * @param {TaskIdentity | undefined} owner
 * @param {{ imagesDir: string, sizeMb: number } | undefined} disk
 * @returns {Promise<Workdir>}
 */
export async function prepareWorkdir(source, cwd, owner, disk) {
  await ensureRoot(path.dirname(cwd));
  if (disk) {
    // Left over from a run that did not finish (a crash): start clean.
    await rm(cwd, { recursive: true, force: true });
    const user = owner ?? { uid: posixProcess.getuid(), gid: posixProcess.getgid() };
    const filesystem = await takeFilesystem(disk.imagesDir, path.dirname(cwd), disk.sizeMb, user);
    /** @type {string | undefined} */
    let overlay;
    try {
      const lower = await dropletImage(source, disk.imagesDir, path.dirname(cwd), user).catch((err) => {
        // A droplet the image cannot be made of (a tool missing, a file type mke2fs refuses) is
        // still run: copied, as where no overlay is possible.
        note(`no image of ${source}, copying it: ${/** @type {Error} */ (err).message}`);
        return undefined;
      });
      if (!lower) {
        await symlink(filesystem.mountpoint, cwd);
        return { filesystem, ...(await copyTree(source, filesystem.mountpoint, owner, true)) };
      }
      overlay = await mountOverlay(lower.mountpoint, filesystem.mountpoint, user);
      await symlink(overlay, cwd);
      return { filesystem, overlay, dirs: [], files: [], links: [] };
    } catch (err) {
      await unlink(cwd).catch(() => {});
      if (overlay) await unmountOverlay(overlay);
      await giveBackFilesystem(filesystem);
      throw err;
    }
  }
  try {
    try {
      return await copyTree(source, cwd, owner);
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EEXIST') throw err;
      await rm(cwd, { recursive: true, force: true });
      return await copyTree(source, cwd, owner);
    }
  } catch (err) {
    await rm(cwd, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}

/**
 * Removes a task directory. What was copied in is known, so it is unlinked without listing it
 * again; whatever the task changed there (new files, a file made a directory) makes that fail,
 * and then the directory is removed the general way. The directories are checked to still be
 * directories first: one the task replaced by a symlink must not lead the removal elsewhere.
 * @param {string} dir
 * @param {Workdir} [tree]
 */
async function removeDir(dir, tree) {
  // A filesystem of the task's own is emptied whole, whatever the task left in it, for the next.
  if (tree?.filesystem) {
    // Whether or not the link is still there, the filesystem must not be lost track of.
    await unlink(dir).catch(() => {});
    if (tree.overlay) await unmountOverlay(tree.overlay);
    return giveBackFilesystem(tree.filesystem);
  }
  if (tree) {
    try {
      const stats = await Promise.all([dir, ...tree.dirs.map((sub) => path.join(dir, sub))].map((d) => lstat(d)));
      if (!stats.every((st) => st.isDirectory())) throw new Error('reshaped');
      await Promise.all([...tree.files, ...tree.links].map((file) => unlink(path.join(dir, file))));
      for (let i = tree.dirs.length - 1; i >= 0; i--) await rmdir(path.join(dir, tree.dirs[i]));
      await rmdir(dir);
      return;
    } catch {
      // Fall through to the general removal.
    }
  }
  await rm(dir, { recursive: true, force: true, maxRetries: 2 });
}

/** Removes the folders of task directories made here, where empty: the supervisor is leaving. */
export async function removeEmptyRoots() {
  await Promise.all([...madeRoots.keys()].map((dir) => rmdir(dir).catch(() => {})));
}

/**
 * Removes a task directory in the background (`tree`: what was copied in, if known).
 * @param {string} dir
 * @param {Workdir} [tree]
 */
export function removeWorkdirLater(dir, tree) {
  return track(removeDir(dir, tree).catch((err) => note(`removing ${dir} failed: ${err.message}`)));
}
