// Packs a folder as a droplet: a gzipped tarball of its files, directories and symlinks, with
// the folder's contents at the top (no leading folder name). Left out: `.git` directories,
// taskd data folders (`.taskd`), whatever `.taskdignore` at the folder's root names, and symlinks that lead outside the folder
// (the server refuses a bundle with one; they are reported instead). Symlinks stay symlinks and
// are never followed; other special files (sockets, FIFOs, devices) are skipped.
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, readdir, readFile, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar, { type Header, type Pack } from 'tar-stream';
import { CliError } from './errors.js';
import { IgnoreRules } from './ignore-rules.js';

type Headers = Partial<Header> & Pick<Header, 'name'>;

export const IGNORE_FILE = '.taskdignore';

export interface PackedDroplet {
  files: number;
  /** The files' bytes, before compression. */
  bytes: number;
  /** The bytes under each top-level entry of the folder: where a large push comes from. */
  bytesByTopEntry: Map<string, number>;
  /** Symlinks left out because they point outside the folder (relative paths). */
  skippedLinks: string[];
  /** Folders left out by name whatever .taskdignore says (.git, DATA_FOLDER), with why. */
  skippedFolders: { path: string; why: string }[];
}

/** Told, as it goes, how many files and bytes are packed so far. */
export type PackProgress = (files: number, bytes: number) => void;

/**
 * The name of taskd's data folder (`taskd serve` makes ./.taskd): its database, signing keys and
 * the admin password. Never meant as an app's code, and readable in the droplet by every user of
 * the space: left out wherever it is, and said.
 */
const DATA_FOLDER = '.taskd';

/** Folders never packed, by name, and why, as the push says. */
const ALWAYS_LEFT_OUT = new Map([
  ['.git', "version control, not the app's code"],
  [DATA_FOLDER, "a taskd data folder (database, keys, passwords), never an app's code"],
]);

export async function loadIgnoreRules(root: string): Promise<IgnoreRules> {
  try {
    return IgnoreRules.parse(await readFile(path.join(root, IGNORE_FILE), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return IgnoreRules.parse('');
    throw err;
  }
}

/** Fails unless `root` is a folder (itself, not a link to one: what is packed is below it). */
export async function requireFolder(root: string): Promise<void> {
  const info = await lstat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new CliError(`${root} is not a folder`);
}

/** Writes the folder at `root` to `outFile` as .tgz. */
export async function packFolder(root: string, outFile: string, onProgress: PackProgress = () => {}): Promise<PackedDroplet> {
  await requireFolder(root);
  const realRoot = await realpath(root);
  const rules = await loadIgnoreRules(root);
  const pack = tar.pack();
  const writing = pipeline(pack, createGzip(), createWriteStream(outFile, { mode: 0o600 }));
  const result: PackedDroplet = { files: 0, bytes: 0, bytesByTopEntry: new Map(), skippedLinks: [], skippedFolders: [] };
  try {
    await addFolder(pack, { root, realRoot, rules, result, onProgress }, '');
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    await writing.catch(() => {});
    throw err;
  }
  await writing;
  return result;
}

interface Walk {
  root: string;
  realRoot: string;
  rules: IgnoreRules;
  result: PackedDroplet;
  onProgress: PackProgress;
}

async function addFolder(pack: Pack, walk: Walk, rel: string): Promise<void> {
  const entries = await readdir(path.join(walk.root, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const entryRel = rel ? `${rel}/${entry.name}` : entry.name;
    if (walk.rules.ignores(entryRel, entry.isDirectory())) continue;
    const why = entry.isDirectory() ? ALWAYS_LEFT_OUT.get(entry.name) : undefined;
    if (why) {
      walk.result.skippedFolders.push({ path: entryRel, why });
      continue;
    }
    const abs = path.join(walk.root, entryRel);
    const stat = await lstat(abs);
    const header: Headers = { name: entryRel, mode: stat.mode & 0o777, mtime: stat.mtime };
    if (stat.isDirectory()) {
      await addEntry(pack, { ...header, name: `${entryRel}/`, type: 'directory' });
      await addFolder(pack, walk, entryRel);
    } else if (stat.isSymbolicLink()) {
      const target = await readlink(abs);
      if (await staysInside(walk, entryRel, target)) await addEntry(pack, { ...header, type: 'symlink', linkname: target });
      else walk.result.skippedLinks.push(entryRel);
    } else if (stat.isFile()) {
      await addFile(pack, { ...header, type: 'file', size: stat.size }, abs);
      const { result } = walk;
      result.files++;
      result.bytes += stat.size;
      const top = entryRel.split('/')[0]!;
      result.bytesByTopEntry.set(top, (result.bytesByTopEntry.get(top) ?? 0) + stat.size);
      walk.onProgress(result.files, result.bytes);
    }
  }
}

/**
 * Whether a symlink resolves inside the folder: by its text (relative, never above the root) and,
 * when it resolves on disk, by where it really ends up (a link through another link).
 */
async function staysInside(walk: Walk, rel: string, target: string): Promise<boolean> {
  if (path.isAbsolute(target)) return false;
  const lexical = path.posix.normalize(path.posix.join(path.posix.dirname(rel), target));
  if (lexical === '..' || lexical.startsWith('../')) return false;
  const real = await realpath(path.join(walk.root, rel)).catch(() => undefined);
  return real === undefined || real === walk.realRoot || real.startsWith(walk.realRoot + path.sep);
}

function addEntry(pack: Pack, header: Headers): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, (err) => (err ? reject(err) : resolve())));
}

/** A file's bytes as read now; a file that changes size meanwhile fails the entry, and the push. */
function addFile(pack: Pack, header: Headers, abs: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    pipeline(createReadStream(abs), entry).catch(reject);
  });
}
