// Turns a package (the ZIP archive `cf push` uploads as its bits) into a droplet bundle (a gzip
// tarball), once, so that staging extracts it with extractBundle like any other bundle and every
// rule of bundle.ts applies to it unchanged. The zip is hostile input as well; this reads it
// through its central directory (yauzl) and refuses, before anything reaches the bundle:
// - anything that is not a zip, or is corrupt or truncated; encrypted entries; compression other
//   than store and deflate; sizes or CRC-32s that do not match the data;
// - names bundle.ts refuses (absolute, `..`, NUL, too long), and Windows' absolute forms and
//   backslashes besides, which a tarball has no reason to carry; the same path twice;
// - more entries than allowed (judged from the central directory, before any entry is read), and
//   more uncompressed bytes: counted as they are inflated, whatever sizes the archive declares,
//   so a zip bomb stops at the cap with nothing past it written;
// - device files, FIFOs and sockets; symlinks with absolute or oversized targets (targets that
//   escape through `..` are left to extractBundle, which resolves them against the whole tree).
// Nothing holds a whole entry in memory: each one streams from the zip through inflate into the
// tarball. On any failure the partial bundle is removed; failures that are not the package's
// fault (a full disk, a read error) are passed on as they are.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar, { type Header, type Pack } from 'tar-stream';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { BundleRejected, BundleTooLarge, entryNameParts, quoteName, type BundleLimits } from './bundle.js';

export interface ConvertedPackage {
  /** sha256 of the uploaded zip, hex. */
  sha256: string;
  /** Uncompressed bytes of the entries' data (file contents and symlink targets). */
  bytes: number;
  /** Entries in the zip, directories included. */
  entries: number;
}

/** Longest symlink target accepted (PATH_MAX); its bytes are held in memory to become the tar header's link name. */
const MAX_LINK_TARGET_BYTES = 4096;
/** Local file header and end of central directory signatures: a zip starts with one or the other (the latter when empty). */
const ZIP_MAGICS = [Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('PK\x05\x06', 'latin1')];
/** Compression methods every zip writer uses: 0 store, 8 deflate. */
const STORE = 0;
const DEFLATE = 8;
/** General purpose flag bit 0: the entry is encrypted. */
const ENCRYPTED = 0x1;
/** "Version made by" hosts whose external attributes carry a unix mode in their upper 16 bits (Unix, macOS), as Go's archive/zip reads them. */
const UNIX_HOSTS = new Set([3, 19]);
/** MS-DOS attribute bit of a directory, in the low byte of the external attributes. */
const MSDOS_DIRECTORY = 0x10;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
/** Modes of entries that carry no unix mode (zips made on Windows), as unzip gives them. */
const DEFAULT_FILE_MODE = 0o644;
const DEFAULT_DIR_MODE = 0o755;

const ZIP_OPTIONS: yauzl.Options = {
  lazyEntries: true,
  autoClose: false,
  // Names arrive raw and are decoded and judged here, so a refusal names the entry in our words.
  decodeStrings: false,
  // Inflated data must come to exactly the declared size (and stored entries must declare equal sizes).
  validateEntrySizes: true,
};

type Kind = 'directory' | 'file' | 'symlink';
/** What pack.entry takes: a name, and what else is known. */
type TarHeader = Partial<Header> & Pick<Header, 'name'>;

export async function zipToBundle(zipFile: string, bundleFile: string, limits: BundleLimits): Promise<ConvertedPackage> {
  await assertZip(zipFile);
  const handle = await open(bundleFile, 'wx', 0o600);
  const pack = tar.pack();
  const gzip = zlib.createGzip();
  const out = handle.createWriteStream();
  // A write the filesystem refused (a full disk) is the failure to report: once it happens, the
  // entry being converted fails too, with an error that only says the tarball went away. Errors
  // that merely travel down to the file (a refusal tearing the pipeline down) carry no syscall.
  let writeFailure: NodeJS.ErrnoException | undefined;
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.syscall !== undefined) writeFailure ??= err;
  });
  const writing = pipeline(pack, gzip, out);
  // Its failure also reaches the entry being written (the pack is destroyed with it); this handler
  // only keeps the promise from counting as unhandled when conversion stops first.
  writing.catch(() => {});
  let zip: ZipFile | undefined;
  try {
    zip = await openZip(zipFile);
    // Reported through nextEntry while entries are read; never left to be an uncaught 'error' event.
    zip.on('error', () => {});
    // The central directory's count, before any entry is read: a million tiny entries cost
    // nothing to declare and a great deal to walk.
    if (zip.entryCount > limits.maxEntries) throw new BundleRejected(`the package has more than ${limits.maxEntries} entries`);
    const conversion = new Conversion(zip, pack, limits);
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) await conversion.add(entry);
    pack.finalize();
    await writing;
    await handle.close();
    return { sha256: await sha256Of(zipFile), bytes: conversion.bytes, entries: conversion.entries };
  } catch (err) {
    const cause = writeFailure ?? err;
    pack.destroy(cause instanceof Error ? cause : new Error(String(cause)));
    await writing.catch(() => {});
    await handle.close();
    await rm(bundleFile, { force: true });
    throw cause;
  } finally {
    if (zip) await closeZip(zip);
  }
}

async function assertZip(zipFile: string): Promise<void> {
  const handle = await open(zipFile, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead < 4 || !ZIP_MAGICS.some((magic) => magic.equals(buffer))) throw new BundleRejected('the package is not a zip archive');
  } finally {
    await handle.close();
  }
}

/** Failures in the zip's own structure become rejections; those of the filesystem (they carry an errno code) stay as they are. */
function structural(err: unknown, rejection: (detail: string) => string): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  if (err instanceof BundleRejected) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && code.startsWith('Z_')) return new BundleRejected(rejection('its deflate data is invalid'));
  if (code !== undefined) return err;
  // yauzl's messages carry numbers and offsets, never names (it decodes none here).
  return new BundleRejected(rejection(err.message));
}

const corruptPackage = (detail: string) => `the package is a corrupt or truncated zip archive (${detail})`;
const corruptEntry = (name: string) => (detail: string) => `entry ${quoteName(name)} is corrupt (${detail})`;

function openZip(zipFile: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipFile, ZIP_OPTIONS, (err, zip) => (err ? reject(structural(err, corruptPackage)) : resolve(zip)));
  });
}

/** The next entry of the central directory, or undefined after the last. */
function nextEntry(zip: ZipFile): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const settle = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: Entry) => (settle(), resolve(entry));
    const onEnd = () => (settle(), resolve(undefined));
    const onError = (err: unknown) => (settle(), reject(structural(err, corruptPackage)));
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

function openEntry(zip: ZipFile, entry: Entry, name: string): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => (err ? reject(structural(err, corruptEntry(name))) : resolve(stream)));
  });
}

/**
 * Closes the zip and waits for its file descriptor to be closed, which happens once no entry
 * stream holds it any more (each one has ended or been destroyed by its pipeline by now).
 */
async function closeZip(zip: ZipFile): Promise<void> {
  if (!zip.isOpen) return;
  const closed = new Promise<void>((resolve) => {
    zip.once('close', resolve);
    // An error closing a descriptor opened read-only changes nothing for the caller.
    zip.once('error', () => resolve());
  });
  zip.close();
  await closed;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

class Conversion {
  entries = 0;
  bytes = 0;
  /**
   * Paths seen so far, by digest: a package may hold 100,000 names of up to 4 KiB each, and the
   * digests keep what duplicate detection holds small.
   */
  private readonly seen = new Set<string>();

  constructor(
    private readonly zip: ZipFile,
    private readonly pack: Pack,
    private readonly limits: BundleLimits,
  ) {}

  async add(entry: Entry): Promise<void> {
    this.entries++;
    const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
    const parts = zipEntryNameParts(name);
    const rel = parts.join('/');
    this.claim(name, rel);
    if (entry.generalPurposeBitFlag & ENCRYPTED) throw new BundleRejected(`entry ${quoteName(name)} is encrypted`);
    if (entry.compressionMethod !== STORE && entry.compressionMethod !== DEFLATE) {
      throw new BundleRejected(
        `entry ${quoteName(name)} is compressed with method ${entry.compressionMethod}; only store and deflate are supported`,
      );
    }
    const { kind, mode } = kindOf(entry, name);
    const mtime = entry.getLastModDate({ timezone: 'UTC' });
    if (parts.length === 0) {
      // `./` itself: nothing to create.
      if (kind !== 'directory') throw new BundleRejected(`entry ${quoteName(name)} has an empty name`);
      return;
    }
    switch (kind) {
      case 'directory':
        // Its data is never read, so none may be declared (nothing hides behind a directory).
        if (entry.uncompressedSize !== 0) throw new BundleRejected(`entry ${quoteName(name)} is a directory with content`);
        return this.write({ name: `${rel}/`, type: 'directory', mode: mode ?? DEFAULT_DIR_MODE, mtime });
      case 'file':
        return this.writeFile(entry, name, {
          name: rel,
          type: 'file',
          mode: mode ?? DEFAULT_FILE_MODE,
          mtime,
          size: entry.uncompressedSize,
        });
      case 'symlink': {
        const linkname = await this.readLinkTarget(entry, name);
        return this.write({ name: rel, type: 'symlink', linkname, mode: 0o777, mtime });
      }
    }
  }

  /** Registers a path; a second entry for it (a directory included) is refused. */
  private claim(name: string, rel: string): void {
    const key = createHash('sha256').update(rel).digest('base64');
    if (this.seen.has(key)) throw new BundleRejected(`entry ${quoteName(name)} appears more than once in the package`);
    this.seen.add(key);
  }

  /** Writes an entry that has no data (a directory, a symlink). */
  private write(header: TarHeader): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pack.entry(header, (err) => (err ? reject(err) : resolve()));
    });
  }

  private async writeFile(entry: Entry, name: string, header: TarHeader): Promise<void> {
    const data = await openEntry(this.zip, entry, name);
    const measure = this.measure(name);
    try {
      await pipeline(data, measure.stream, this.pack.entry(header));
    } catch (err) {
      throw structural(err, corruptEntry(name));
    }
    measure.verify(entry);
  }

  private async readLinkTarget(entry: Entry, name: string): Promise<string> {
    if (entry.uncompressedSize > MAX_LINK_TARGET_BYTES)
      throw new BundleRejected(`entry ${quoteName(name)} is a symlink whose target is longer than ${MAX_LINK_TARGET_BYTES} bytes`);
    const data = await openEntry(this.zip, entry, name);
    const measure = this.measure(name);
    const chunks: Buffer[] = [];
    let length = 0;
    try {
      await pipeline(data, measure.stream, async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) {
          // The declared size was checked above and the inflated data must match it; this holds even if not.
          length += chunk.length;
          if (length > MAX_LINK_TARGET_BYTES)
            throw new BundleRejected(`entry ${quoteName(name)} is a symlink whose target is longer than ${MAX_LINK_TARGET_BYTES} bytes`);
          chunks.push(chunk);
        }
      });
    } catch (err) {
      throw structural(err, corruptEntry(name));
    }
    measure.verify(entry);
    const target = Buffer.concat(chunks).toString('utf8');
    if (target === '' || target.includes('\0')) throw new BundleRejected(`entry ${quoteName(name)} is a symlink with an invalid target`);
    if (target.startsWith('/'))
      throw new BundleRejected(`entry ${quoteName(name)} is a symlink to ${quoteName(target)}, which points outside the droplet`);
    return target;
  }

  /**
   * A pass-through that counts an entry's inflated bytes against the package's cap (stopping
   * before the first byte past it goes on) and computes their CRC-32 on the way.
   */
  private measure(name: string): { stream: Transform; verify(entry: Entry): void } {
    let crc = 0;
    const stream = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        this.bytes += chunk.length;
        if (this.bytes > this.limits.maxBytes) return done(new BundleTooLarge(this.limits.maxBytes));
        crc = crc32(chunk, crc);
        done(null, chunk);
      },
    });
    const verify = (entry: Entry) => {
      if (crc !== entry.crc32) throw new BundleRejected(`entry ${quoteName(name)} is corrupt (its CRC-32 does not match its data)`);
    };
    return { stream, verify };
  }
}

/**
 * bundle.ts's rules, and those a zip adds: a zip made on Windows may spell an absolute path with a
 * backslash or a drive letter, and a backslash separates directories there, so no backslash is
 * accepted (zip names use `/`; a tarball would keep `a\b` as one odd file name).
 */
function zipEntryNameParts(name: string): string[] {
  const parts = entryNameParts(name);
  if (name.startsWith('\\') || /^[A-Za-z]:/.test(name)) throw new BundleRejected(`entry ${quoteName(name)} has an absolute path`);
  if (name.includes('\\')) throw new BundleRejected(`entry ${quoteName(name)} has a backslash in its name`);
  return parts;
}

/** What an entry is and its permission bits, from its unix mode when the zip carries one (Go's FileHeader.SetMode does). */
function kindOf(entry: Entry, name: string): { kind: Kind; mode: number | undefined } {
  const unix = UNIX_HOSTS.has(entry.versionMadeBy >>> 8) ? entry.externalFileAttributes >>> 16 : 0;
  // Permission bits of 0 read as "none given": the defaults apply (extractBundle keeps the owner's read bit anyway).
  const mode = unix & 0o777 || undefined;
  const type = unix & S_IFMT;
  const msdosDirectory = unix === 0 && (entry.externalFileAttributes & MSDOS_DIRECTORY) !== 0;
  if (name.endsWith('/') || type === S_IFDIR || msdosDirectory) return { kind: 'directory', mode };
  if (type === S_IFLNK) return { kind: 'symlink', mode };
  if (type === 0 || type === S_IFREG) return { kind: 'file', mode };
  throw new BundleRejected(`entry ${quoteName(name)} is a device file, FIFO or socket; device files, FIFOs and sockets are not allowed`);
}

/** zlib's CRC-32 (node 20.15 and later), or the same computed here on earlier 20.x releases. */
const crc32: (data: Uint8Array, value: number) => number =
  typeof zlib.crc32 === 'function' ? zlib.crc32 : tableCrc32(new Uint32Array(256).map((_, n) => crcByte(n)));

function crcByte(n: number): number {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
}

function tableCrc32(table: Uint32Array): (data: Uint8Array, value: number) => number {
  return (data, value) => {
    let c = ~value;
    for (const byte of data) c = table[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return ~c >>> 0;
  };
}
