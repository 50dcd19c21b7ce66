// Where droplet bits live: `<dataDir>/droplets/<droplet guid>/` holds a staged droplet's
// extracted tree. Uploads and extractions in progress live under `<dataDir>/droplets/.incoming/`
// (same filesystem, so a finished extraction is moved into place with one rename): a failure
// never leaves a half-written droplet directory behind.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config.js';
import { extractBundle, type BundleLimits, type ExtractedBundle } from './bundle.js';
import type { UploadRoom } from './org-lanes.js';
import { PackageFiles } from './package-files.js';

/** Most entries a droplet may hold (directories included). */
export const MAX_DROPLET_ENTRIES = 100_000;

/**
 * Limits for extracting a bundle. Uncompressed size is capped at the largest disk a task may be
 * given: a droplet that does not fit there could never run, and a gzip bomb stops at that cap.
 */
export function bundleLimits(config: Pick<Config, 'maximumDiskInMb'>): BundleLimits {
  return { maxBytes: config.maximumDiskInMb * 1024 * 1024, maxEntries: MAX_DROPLET_ENTRIES };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ReceivedUpload {
  path: string;
  size: number;
}

/** The upload did not fit in the room it was given; nothing of it was kept. */
export class UploadOverBudget extends Error {}

export class DropletFiles {
  readonly root: string;
  readonly incoming: string;
  /** Packages' bundles, beside the droplets (one filesystem: a finished conversion is renamed into place). */
  readonly packages: PackageFiles;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'droplets');
    this.incoming = path.join(this.root, '.incoming');
    this.packages = new PackageFiles(path.join(this.root, '.packages'));
  }

  /** The directory of a droplet's bits. Guids are ours (UUIDs); anything else is refused. */
  dirOf(guid: string): string {
    if (!GUID.test(guid)) throw new Error(`not a droplet guid: ${JSON.stringify(guid)}`);
    return path.join(this.root, guid);
  }

  /** A new private temporary file's path (not yet created), on the droplets' filesystem. */
  async newIncomingFile(): Promise<string> {
    await mkdir(this.incoming, { recursive: true, mode: 0o700 });
    return path.join(this.incoming, `${randomUUID()}.upload`);
  }

  /**
   * Streams an upload to a private temporary file. Beyond the room it is given, the rest of the
   * upload is read (so the request ends normally) but not written, and UploadOverBudget is thrown.
   */
  async receive(source: Readable, room?: UploadRoom): Promise<ReceivedUpload> {
    const file = await this.newIncomingFile();
    let over = false;
    const counting = new Transform({
      transform(chunk: Buffer, _enc, done) {
        if (!over && room && !room.take(chunk.length)) over = true;
        done(null, over ? undefined : chunk);
      },
    });
    try {
      await pipeline(source, counting, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
      if (over) throw new UploadOverBudget();
      return { path: file, size: (await stat(file)).size };
    } catch (err) {
      await this.discard(file);
      throw err;
    }
  }

  async discard(file: string): Promise<void> {
    await rm(file, { force: true });
  }

  /**
   * Checks and extracts an upload into a temporary directory, then moves it into place as the
   * droplet's directory. On any failure the temporary directory is removed and nothing is left.
   */
  async install(guid: string, upload: string, limits: BundleLimits): Promise<ExtractedBundle> {
    const target = this.dirOf(guid);
    await mkdir(this.incoming, { recursive: true, mode: 0o700 });
    const staging = await mkdtemp(path.join(this.incoming, `${guid}-`));
    try {
      const extracted = await extractBundle(upload, staging, limits);
      await rename(staging, target);
      return extracted;
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
  }

  /** Removes droplets' bits; a directory already gone is fine. */
  async remove(guids: readonly string[]): Promise<void> {
    for (const guid of guids) await rm(this.dirOf(guid), { recursive: true, force: true });
  }

  /** Guids of the droplets whose trees this node holds. */
  async guidsOnDisk(): Promise<string[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    return names.filter((name) => GUID.test(name));
  }

  /** Removes leftovers of uploads that a stopped taskd never finished (older than `olderThanMs`). */
  async sweepIncoming(olderThanMs: number): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.incoming);
    } catch {
      return;
    }
    const cutoff = Date.now() - olderThanMs;
    for (const name of names) {
      const full = path.join(this.incoming, name);
      const info = await stat(full).catch(() => undefined);
      if (info && info.mtimeMs <= cutoff) await rm(full, { recursive: true, force: true });
    }
  }
}
