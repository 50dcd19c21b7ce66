// The uploads this node processes after answering their requests — droplet bits, packages' zips,
// and builds (a package's bundle staged as a droplet upload) — with what they share: the
// droplets' files, the per-organization lanes and receipts of the droplet budget, and the set of
// running jobs that closing taskd waits for. One per taskd, shared by the droplet, package and
// build routes.
import type { AppContext } from '../../context.js';
import type { UploadContext } from '../../actions/upload.js';
import type { PackageWork } from '../../actions/packages.js';
import { MB } from '../../actions/droplet-storage.js';
import { OrgLanes, OrgReceipts } from '../../droplets/org-lanes.js';
import { bundleLimits, DropletFiles } from '../../droplets/storage.js';

export interface UploadWork {
  files: DropletFiles;
  uploads: UploadContext;
  packages: PackageWork;
  receipts: OrgReceipts;
  /** Runs `work` after the answer; closing taskd waits for it. */
  track(work: Promise<void>): void;
  /** Resolves once every tracked job has ended. */
  settled(): Promise<void>;
}

const perContext = new WeakMap<AppContext, UploadWork>();

export function uploadWorkOf(ctx: AppContext): UploadWork {
  let work = perContext.get(ctx);
  if (!work) {
    const files = new DropletFiles(ctx.config.dataDir);
    const lanes = new OrgLanes();
    const common = {
      db: ctx.store.db,
      limits: bundleLimits(ctx.config),
      log: ctx.log,
      keepBundle: ctx.store.dialect === 'postgres',
      orgDropletMaxBytes: ctx.config.orgDropletMaxMb * MB,
      lanes,
    };
    const running = new Set<Promise<void>>();
    work = {
      files,
      uploads: { ...common, files, dropletsPerApp: ctx.config.dropletsPerApp, staged: (guid) => ctx.runner?.dropletStaged(guid) },
      packages: { ...common, droplets: files, packagesPerApp: ctx.config.dropletsPerApp },
      receipts: new OrgReceipts(),
      track(job) {
        running.add(job);
        void job.finally(() => running.delete(job));
      },
      async settled() {
        await Promise.allSettled([...running]);
      },
    };
    perContext.set(ctx, work);
  }
  return work;
}
