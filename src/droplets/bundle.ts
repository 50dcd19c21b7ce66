// Checks and extracts an uploaded droplet bundle (a gzip tarball). Uploads are hostile input: the
// extractor streams gunzip -> tar and writes each entry itself, refusing anything that could
// reach outside the destination or exhaust the disk:
// - the bundle must be gzip data holding a tar archive; uncompressed bytes and entries are capped
//   (a gzip bomb stops at the cap, long before the disk fills);
// - names must be relative with no `..` component; nothing is written through a symlink (parents
//   are checked against what was extracted and on disk, files opened with O_NOFOLLOW | O_EXCL);
// - symlinks must resolve inside the bundle (checked as written, and again physically at the
//   end, since a later link can change what an earlier target means); hard links may only point
//   at a regular file extracted earlier; device files and FIFOs are refused;
// - setuid, setgid and sticky bits are stripped; ownership is never restored.
// The caller gives a fresh, empty destination directory and removes it when this throws.
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { link, lstat, mkdir, open, readlink, realpath, symlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar, { type Header } from 'tar-stream';

export interface BundleLimits {
  /** Most uncompressed bytes (tar headers included) the bundle may expand to. */
  maxBytes: number;
  /** Most entries, counting directories created implicitly for an entry's parents. */
  maxEntries: number;
}

export interface ExtractedBundle {
  /** sha256 of the uploaded (compressed) file, hex. */
  sha256: string;
  /** Uncompressed bytes read. */
  bytes: number;
  entries: number;
  /**
   * What the tree takes on disk, estimated: every entry a block (4 KiB) at least, and each file's
   * data in whole blocks; the uncompressed bytes when they are more. Many tiny files take far
   * more disk than their bytes in the archive.
   */
  diskBytes: number;
}

/** The filesystem block the disk estimate rounds to. */
const BLOCK = 4096;
/** What zlib hands on at once, and how much of a file is gathered before it is written. */
const UNPACK_CHUNK_BYTES = 64 * 1024;
const WRITE_BYTES = 1024 * 1024;

/** The bundle is unacceptable; the message says why, naming the offending entry when there is one. */
export class BundleRejected extends Error {}

/** The bundle expands to more than the limit it was given. */
export class BundleTooLarge extends BundleRejected {
  constructor(readonly maxBytes: number) {
    super(`the bundle expands to more than ${maxBytes} bytes`);
  }
}

/** Longest entry name accepted (Linux PATH_MAX); longer ones could never be created anyway. */
const MAX_NAME_BYTES = 4096;
/** Symlinks followed while resolving one target before it counts as a loop (as the kernel's ELOOP). */
const MAX_SYMLINK_HOPS = 40;
const GZIP_MAGIC = [0x1f, 0x8b];

type Kind = 'dir' | 'file' | 'symlink';

/** One archive entry: its header and its data. */
interface Entry extends AsyncIterable<unknown> {
  header: Header;
}

/** Quotes an entry name for an error message: escaped, bounded. */
export function quoteName(name: string): string {
  const shown = name.length > 200 ? `${name.slice(0, 200)}...` : name;
  return `'${JSON.stringify(shown).slice(1, -1)}'`;
}

/**
 * An entry name's components, with `.` and empty ones dropped; refuses names too long, with a
 * NUL, absolute or with a `..` component. Shared with the zip converter (zip-bundle.ts), so a
 * package's names are judged by the same rules as a bundle's.
 */
export function entryNameParts(name: string): string[] {
  if (Buffer.byteLength(name) > MAX_NAME_BYTES)
    throw new BundleRejected(`entry ${quoteName(name)} has a name longer than ${MAX_NAME_BYTES} bytes`);
  if (name.includes('\0')) throw new BundleRejected(`entry ${quoteName(name)} has a NUL character in its name`);
  if (name.startsWith('/')) throw new BundleRejected(`entry ${quoteName(name)} has an absolute path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new BundleRejected(`entry ${quoteName(name)} has a '..' path component`);
  return parts;
}

export async function extractBundle(source: string, destination: string, limits: BundleLimits): Promise<ExtractedBundle> {
  await assertGzip(source);
  const root = await realpath(destination);
  const state = new Extraction(root, limits);
  const hash = createHash('sha256');
  let bytes = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const counting = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > limits.maxBytes) done(new BundleTooLarge(limits.maxBytes));
      else done(null, chunk);
    },
  });
  const extract = tar.extract();
  // Bigger pieces than zlib's 16 KiB: every piece costs a turn through the file writes below.
  const feeding = pipeline(createReadStream(source), hashing, createGunzip({ chunkSize: UNPACK_CHUNK_BYTES }), counting, extract);
  // Its failure also reaches the entry loop below (the extractor is destroyed with it); this
  // handler only keeps the promise from counting as unhandled when the loop stops first.
  feeding.catch(() => {});
  try {
    for await (const entry of extract) {
      await state.add(entry);
    }
    await feeding;
    await state.verifySymlinks();
    await state.applyDirectoryModes();
  } catch (err) {
    throw classify(err);
  }
  return { sha256: hash.digest('hex'), bytes, entries: state.entries, diskBytes: Math.max(bytes, state.diskBytes) };
}

async function assertGzip(source: string): Promise<void> {
  const handle = await open(source, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    if (bytesRead < 2 || buffer[0] !== GZIP_MAGIC[0] || buffer[1] !== GZIP_MAGIC[1])
      throw new BundleRejected('the bundle is not gzip-compressed');
  } finally {
    await handle.close();
  }
}

/** Turns stream and parser failures into rejections; anything else (disk full, …) stays internal. */
function classify(err: unknown): Error {
  if (err instanceof BundleRejected) return err;
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && e.code.startsWith('Z_'))
    return new BundleRejected('the bundle is not valid gzip data (corrupt or truncated)');
  if (e?.code === 'ERR_STREAM_PREMATURE_CLOSE') return new BundleRejected('the bundle ended unexpectedly');
  const message = String(e?.message ?? '');
  if (/tar header|Unexpected end of data|Header exceeds max size|Invalid header/i.test(message)) {
    return new BundleRejected('the bundle is not a valid tar archive');
  }
  return err instanceof Error ? err : new Error(String(err));
}

class Extraction {
  entries = 0;
  /** Blocks taken so far, in bytes; held to the same cap as the uncompressed bytes. */
  diskBytes = 0;
  private readonly kinds = new Map<string, Kind>();
  private readonly symlinks: { rel: string; target: string }[] = [];
  private readonly dirModes = new Map<string, number>();

  constructor(
    private readonly root: string,
    private readonly limits: BundleLimits,
  ) {}

  async add(entry: Entry): Promise<void> {
    const { header } = entry;
    this.count();
    const name = header.name;
    const parts = entryNameParts(name);
    // Unknown type flags arrive as null, whatever the declared type says.
    const type = header.type as Header['type'] | null;
    if (parts.length === 0) {
      // `./` itself: nothing to create.
      if (type !== 'directory') throw new BundleRejected(`entry ${quoteName(name)} has an empty name`);
      return drain(entry);
    }
    const rel = parts.join('/');
    switch (type) {
      case 'directory':
        await this.prepareParents(name, parts);
        await this.makeDirectory(name, rel, header.mode);
        return drain(entry);
      case 'file':
      case 'contiguous-file':
        await this.prepareParents(name, parts);
        this.claim(name, rel, 'file');
        return this.writeFile(name, rel, header.mode, entry);
      case 'symlink':
        await this.prepareParents(name, parts);
        await this.makeSymlink(name, rel, parts, header.linkname ?? '');
        return drain(entry);
      case 'link':
        await this.prepareParents(name, parts);
        await this.makeHardLink(name, rel, header.linkname ?? '');
        return drain(entry);
      case 'character-device':
      case 'block-device':
        throw new BundleRejected(
          `entry ${quoteName(name)} is a ${type.replace('-', ' ')}; device files, FIFOs and sockets are not allowed`,
        );
      case 'fifo':
        throw new BundleRejected(`entry ${quoteName(name)} is a FIFO; device files, FIFOs and sockets are not allowed`);
      default:
        throw new BundleRejected(`entry ${quoteName(name)} has an unsupported type`);
    }
  }

  private count(): void {
    if (++this.entries > this.limits.maxEntries) throw new BundleRejected(`the bundle has more than ${this.limits.maxEntries} entries`);
    this.addToDisk(BLOCK);
  }

  private addToDisk(bytes: number): void {
    this.diskBytes += bytes;
    if (this.diskBytes > this.limits.maxBytes) throw new BundleTooLarge(this.limits.maxBytes);
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : path.join(this.root, rel);
  }

  /** Makes sure every parent is a real directory of the bundle, creating missing ones. */
  private async prepareParents(name: string, parts: string[]): Promise<void> {
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      const kind = this.kinds.get(prefix);
      if (kind === 'symlink') throw new BundleRejected(`entry ${quoteName(name)} goes through the symlink ${quoteName(prefix)}`);
      if (kind === 'file') throw new BundleRejected(`entry ${quoteName(name)} is inside ${quoteName(prefix)}, which is not a directory`);
      if (kind === undefined) {
        this.count();
        await this.fsStep(name, () => mkdir(this.abs(prefix), { mode: 0o700 }));
        this.kinds.set(prefix, 'dir');
      }
    }
    // Defence in depth: on disk, the parent must be exactly where it should be (no symlink on the way).
    const parent = parts.slice(0, -1).join('/');
    const real = await this.fsStep(name, () => realpath(this.abs(parent)));
    if (real !== this.abs(parent)) throw new BundleRejected(`entry ${quoteName(name)} goes through a symlink`);
  }

  /** Registers a new path; a second entry for the same path is refused (directories may repeat). */
  private claim(name: string, rel: string, kind: Kind): boolean {
    const existing = this.kinds.get(rel);
    if (existing === undefined) {
      this.kinds.set(rel, kind);
      return true;
    }
    if (existing === 'dir' && kind === 'dir') return false;
    throw new BundleRejected(`entry ${quoteName(name)} appears more than once in the bundle`);
  }

  private async makeDirectory(name: string, rel: string, mode: number | undefined): Promise<void> {
    if (this.claim(name, rel, 'dir')) await this.fsStep(name, () => mkdir(this.abs(rel), { mode: 0o700 }));
    // Owners keep rwx on directories so taskd can always fill and later remove them.
    this.dirModes.set(rel, ((mode ?? 0o755) & 0o777) | 0o700);
  }

  private async writeFile(name: string, rel: string, mode: number | undefined, entry: Entry): Promise<void> {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const handle = await this.fsStep(name, () => open(this.abs(rel), flags, 0o600));
    try {
      let size = 0;
      // Written a megabyte at a time, not piece by piece: each write is a trip through libuv's
      // pool and back to the event loop, which API requests share with every upload.
      let unwritten: Uint8Array[] = [];
      let unwrittenBytes = 0;
      for await (const chunk of entry) {
        // Blocks beyond the entry's own first one, counted as they fill.
        const before = Math.max(0, Math.ceil(size / BLOCK) - 1);
        size += (chunk as Uint8Array).length;
        this.addToDisk((Math.max(0, Math.ceil(size / BLOCK) - 1) - before) * BLOCK);
        unwritten.push(chunk as Uint8Array);
        unwrittenBytes += (chunk as Uint8Array).length;
        if (unwrittenBytes >= WRITE_BYTES) {
          await handle.writev(unwritten);
          unwritten = [];
          unwrittenBytes = 0;
        }
      }
      if (unwritten.length) await handle.writev(unwritten);
      // setuid/setgid/sticky never survive; the owner can always read what taskd stored.
      await handle.chmod(((mode ?? 0o644) & 0o777) | 0o400);
    } finally {
      await handle.close();
    }
  }

  private async makeSymlink(name: string, rel: string, parts: string[], target: string): Promise<void> {
    const outside = () =>
      new BundleRejected(`entry ${quoteName(name)} is a symlink to ${quoteName(target)}, which points outside the droplet`);
    if (target === '' || target.includes('\0')) throw new BundleRejected(`entry ${quoteName(name)} is a symlink with an invalid target`);
    if (target.startsWith('/')) throw outside();
    // Lexically first: the target, read from the link's directory, must stay inside.
    const resolved = path.posix.normalize(path.posix.join(parts.slice(0, -1).join('/') || '.', target));
    if (resolved === '..' || resolved.startsWith('../')) throw outside();
    this.claim(name, rel, 'symlink');
    await this.fsStep(name, () => symlink(target, this.abs(rel)));
    this.symlinks.push({ rel, target });
  }

  private async makeHardLink(name: string, rel: string, target: string): Promise<void> {
    if (target === '' || target.startsWith('/'))
      throw new BundleRejected(`entry ${quoteName(name)} is a hard link to ${quoteName(target)}, which points outside the droplet`);
    const targetParts = target.split('/').filter((p) => p !== '' && p !== '.');
    if (targetParts.includes('..'))
      throw new BundleRejected(`entry ${quoteName(name)} is a hard link to ${quoteName(target)}, which points outside the droplet`);
    const targetRel = targetParts.join('/');
    if (this.kinds.get(targetRel) !== 'file') {
      throw new BundleRejected(
        `entry ${quoteName(name)} is a hard link to ${quoteName(target)}, which is not a regular file extracted earlier`,
      );
    }
    this.claim(name, rel, 'file');
    await this.fsStep(name, () => link(this.abs(targetRel), this.abs(rel)));
  }

  /**
   * Every symlink, resolved physically through the tree as it ended up, must stay inside: a link
   * can be harmless when written and escape once a later link changes one of its components.
   */
  async verifySymlinks(): Promise<void> {
    for (const { rel, target } of this.symlinks) {
      const start = rel.split('/').slice(0, -1);
      if (!(await this.resolvesInside(start, target))) {
        throw new BundleRejected(`entry ${quoteName(rel)} is a symlink to ${quoteName(target)}, which resolves outside the droplet`);
      }
    }
  }

  private async resolvesInside(dir: string[], target: string): Promise<boolean> {
    const stack = [...dir];
    const queue = target.split('/');
    let hops = 0;
    while (queue.length) {
      const part = queue.shift()!;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (!stack.length) return false;
        stack.pop();
        continue;
      }
      const candidate = [...stack, part].join('/');
      let isLink = false;
      try {
        isLink = (await lstat(this.abs(candidate))).isSymbolicLink();
      } catch {
        // A missing component cannot be a link; what follows is resolved lexically (stricter than the kernel).
      }
      if (!isLink) {
        stack.push(part);
        continue;
      }
      if (++hops > MAX_SYMLINK_HOPS) return false;
      const next = await readlink(this.abs(candidate));
      if (next.startsWith('/')) return false;
      queue.unshift(...next.split('/'));
    }
    return true;
  }

  /** Directory modes are set last (while extracting, directories stay writable for taskd). */
  async applyDirectoryModes(): Promise<void> {
    const flags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
    for (const [rel, mode] of this.dirModes) {
      const handle = await open(this.abs(rel), flags);
      try {
        await handle.chmod(mode);
      } finally {
        await handle.close();
      }
    }
  }

  /** Runs a filesystem step; errors caused by the entry itself become rejections naming it. */
  private async fsStep<T>(name: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENAMETOOLONG') throw new BundleRejected(`entry ${quoteName(name)} has a name that is too long`);
      if (code === 'EEXIST') throw new BundleRejected(`entry ${quoteName(name)} appears more than once in the bundle`);
      if (code === 'ELOOP' || code === 'ENOTDIR') throw new BundleRejected(`entry ${quoteName(name)} goes through a symlink or a file`);
      throw err;
    }
  }
}

/** Skips an entry's data (directories, links) so the archive stream keeps flowing. */
async function drain(entry: Entry): Promise<void> {
  for await (const chunk of entry) void chunk;
}
