// Where a task's files are copied from: the droplet's extracted tree on this node. On PostgreSQL a
// runner node may lack it (the droplet was uploaded to another node): it then rebuilds the tree
// from the bundle kept in the database, once, however many of its tasks start at the same time,
// and through the same checks and limits as an upload. Such rebuilt trees of droplets that
// another node has since deleted or expired are removed here, now and then.
import { access } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { BundleLimits } from '../droplets/bundle.js';
import { restoreBundle } from '../droplets/bundle-store.js';
import { removeOrphanedTrees } from '../droplets/orphans.js';
import type { DropletFiles } from '../droplets/storage.js';
import type { Database } from '../store/schema.js';

/** How often a node that rebuilds trees looks for those of droplets gone from the database. */
const PRUNE_EVERY_MS = 5 * 60 * 1000;

export class DropletTrees {
  private readonly restoring = new Map<string, Promise<void>>();
  private lastPrune = 0;

  /** @param fromDatabase whether bundles are kept in the database (PostgreSQL) */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly files: DropletFiles,
    private readonly limits: BundleLimits,
    private readonly fromDatabase: boolean,
  ) {}

  /**
   * The droplet's tree, rebuilt here first if need be. A droplet with no bits anywhere still gets
   * its path: the spawn then fails, and the task with it ("unable to run").
   */
  async treeOf(dropletGuid: string): Promise<string> {
    const dir = this.files.dirOf(dropletGuid);
    if (this.fromDatabase) this.pruneNowAndThen();
    if (!this.fromDatabase || (await exists(dir))) return dir;
    let restoring = this.restoring.get(dropletGuid);
    if (!restoring) {
      restoring = this.restore(dropletGuid).finally(() => this.restoring.delete(dropletGuid));
      this.restoring.set(dropletGuid, restoring);
    }
    await restoring;
    return dir;
  }

  private pruneNowAndThen(): void {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    // Best effort: a failure leaves the trees for the next time.
    void removeOrphanedTrees(this.db, this.files).catch(() => {});
  }

  private async restore(dropletGuid: string): Promise<void> {
    const file = await this.files.newIncomingFile();
    try {
      if (!(await restoreBundle(this.db, dropletGuid, file))) return;
      await this.files.install(dropletGuid, file, this.limits).catch(async (err) => {
        // Another taskd on this data directory put it in place first.
        if (!(await exists(this.files.dirOf(dropletGuid)))) throw err;
      });
    } finally {
      await this.files.discard(file);
    }
  }
}

async function exists(dir: string): Promise<boolean> {
  return access(dir).then(
    () => true,
    () => false,
  );
}
