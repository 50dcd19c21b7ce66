// Task working directories, made and removed by the supervisor: a copy of the droplet's tree per
// task (never hard links: a task may write to its files), removed once the task has ended.
// Plain JavaScript, Node's modules only.
import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readlink, rm, rmdir, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { note } from './note.mjs';

/** Directory copies and removals in progress, waited for before the supervisor exits. */
export const fileWork = new Set();
/** Parent directories already made: `mkdir -p` once each, not per task. */
const madeRoots = new Map();

export function track(work) {
  fileWork.add(work);
  void work.finally(() => fileWork.delete(work));
  return work;
}

/**
 * The files of a tree, read once per copy: `{ dirs, files, links }` of paths relative to it,
 * directories parent first. Droplets are immutable once staged, but they can be deleted, so the
 * listing is not kept between tasks.
 */
async function listTree(root) {
  const tree = { dirs: [], files: [], links: [] };
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
 * Copies a droplet tree into the new directory `to`: directories first (parents before their
 * children), then files (cloned copy-on-write where the filesystem can) and symlinks as they are.
 * Returns the tree for the removal.
 */
async function copyTree(from, to) {
  const tree = await listTree(from);
  await mkdir(to, { mode: 0o700 });
  for (const dir of tree.dirs) await mkdir(path.join(to, dir), { mode: 0o700 });
  await Promise.all([
    ...tree.files.map((file) => copyFile(path.join(from, file), path.join(to, file), constants.COPYFILE_FICLONE)),
    ...tree.links.map(async (link) => symlink(await readlink(path.join(from, link)), path.join(to, link))),
  ]);
  return tree;
}

function ensureRoot(dir) {
  let made = madeRoots.get(dir);
  if (!made) {
    made = mkdir(dir, { recursive: true, mode: 0o700 });
    madeRoots.set(dir, made);
    made.catch(() => madeRoots.delete(dir));
  }
  return made;
}

/** Makes `cwd` as a copy of `source`; a partial copy (the droplet vanished mid-way) is removed. */
export async function prepareWorkdir(source, cwd) {
  await ensureRoot(path.dirname(cwd));
  try {
    try {
      return await copyTree(source, cwd);
    } catch (err) {
      // Left over from a run that did not finish (a crash): start clean, once.
      if (err.code !== 'EEXIST') throw err;
      await rm(cwd, { recursive: true, force: true });
      return await copyTree(source, cwd);
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
 */
async function removeDir(dir, tree) {
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

/** Removes a task directory in the background (`tree`: what was copied in, if known). */
export function removeWorkdirLater(dir, tree) {
  return track(removeDir(dir, tree).catch((err) => note(`removing ${dir} failed: ${err.message}`)));
}
