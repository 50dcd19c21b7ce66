// Where package bundles live: `<dataDir>/droplets/.packages/<package guid>.tgz`, the package's zip checked
// and converted to a droplet bundle (zip-bundle.ts). Conversions in progress are written under the
// droplets' `.incoming/` directory and moved into place with one rename once whole, so a failure
// never leaves half a bundle where a build could find it.
import { constants } from 'node:fs';
import { copyFile, link, mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SUFFIX = '.tgz';

export class PackageFiles {
  constructor(readonly root: string) {}

  /** The bundle of a package. Guids are ours (UUIDs); anything else is refused. */
  bundleOf(guid: string): string {
    if (!GUID.test(guid)) throw new Error(`not a package guid: ${JSON.stringify(guid)}`);
    return path.join(this.root, `${guid}${SUFFIX}`);
  }

  /** Moves a finished bundle into place as the package's (same filesystem as `.incoming/`). */
  async install(guid: string, bundle: string): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await rename(bundle, this.bundleOf(guid));
  }

  /**
   * Gives `file` (new) the package's bundle: a hard link (one filesystem with `.incoming/`, and a
   * bundle is never written again, only removed), else a copy; false when this node does not hold it.
   */
  async copyTo(guid: string, file: string): Promise<boolean> {
    try {
      await link(this.bundleOf(guid), file).catch(() => copyFile(this.bundleOf(guid), file, constants.COPYFILE_EXCL));
      // New to `.incoming/`, whose sweep goes by age: a link would carry the bundle's.
      const now = new Date();
      await utimes(file, now, now);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async remove(guids: readonly string[]): Promise<void> {
    for (const guid of guids) await rm(this.bundleOf(guid), { force: true });
  }

  /** Guids of the packages whose bundles this node holds, written at least `olderThanMs` ago. */
  async guidsOnDisk(olderThanMs: number): Promise<string[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    const cutoff = Date.now() - olderThanMs;
    const guids: string[] = [];
    for (const name of names) {
      const guid = name.slice(0, -SUFFIX.length);
      if (!name.endsWith(SUFFIX) || !GUID.test(guid)) continue;
      const info = await stat(path.join(this.root, name)).catch(() => undefined);
      if (info && info.mtimeMs <= cutoff) guids.push(guid);
    }
    return guids;
  }
}
