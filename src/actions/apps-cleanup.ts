// Deleting apps takes their droplets, packages, builds, processes, tasks and metadata with them.
// The droplets' and packages' bits are files: callers remove them once the transaction has
// committed (`removeBitsOf`), so a rollback never loses bits still in use.
// Likewise, tasks still running are stopped after commit (`signals.cancelRequested` for each of
// `deleted.activeTaskGuids`): their rows are gone, so a runner stops them when told.
import type { SelectQueryBuilder, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { DropletFiles } from '../droplets/storage.js';
import { deleteMetadata } from '../store/metadata.js';
import { deleteTasks } from '../store/tasks/removal.js';
import { isTerminal } from '../core/task-states.js';

export interface DeletedApps {
  appIds: number[];
  /** Droplets deleted with the apps, whose directories are to be removed after commit. */
  dropletGuids: string[];
  /** Packages deleted with the apps, whose bundles are to be removed after commit. */
  packageGuids: string[];
  /** Tasks deleted while not yet finished, whose runners are to stop them after commit. */
  activeTaskGuids: string[];
}

export async function deleteAppsWhere(
  trx: Transaction<Database>,
  narrow: (qb: SelectQueryBuilder<Database, 'apps', { id: number }>) => SelectQueryBuilder<Database, 'apps', { id: number }>,
): Promise<DeletedApps> {
  const apps = await narrow(trx.selectFrom('apps').select('id')).execute();
  const appIds = apps.map((a) => a.id);
  if (!appIds.length) return { appIds: [], dropletGuids: [], packageGuids: [], activeTaskGuids: [] };
  const tasks = await trx.selectFrom('tasks').select(['id', 'guid', 'state']).where('app_id', 'in', appIds).execute();
  await deleteTasks(
    trx,
    tasks.map((t) => t.id),
  );
  const droplets = await trx.selectFrom('droplets').select(['id', 'guid']).where('app_id', 'in', appIds).execute();
  const processes = await trx.selectFrom('processes').select('id').where('app_id', 'in', appIds).execute();
  const packages = await trx.selectFrom('packages').select(['id', 'guid']).where('app_id', 'in', appIds).execute();
  const builds = await trx.selectFrom('builds').select('id').where('app_id', 'in', appIds).execute();
  await deleteMetadata(
    trx,
    'package',
    packages.map((p) => p.id),
  );
  await deleteMetadata(
    trx,
    'build',
    builds.map((b) => b.id),
  );
  await deleteMetadata(
    trx,
    'droplet',
    droplets.map((d) => d.id),
  );
  await deleteMetadata(
    trx,
    'process',
    processes.map((p) => p.id),
  );
  await deleteMetadata(trx, 'app', appIds);
  await trx.deleteFrom('processes').where('app_id', 'in', appIds).execute();
  await trx.deleteFrom('droplets').where('app_id', 'in', appIds).execute();
  await trx.deleteFrom('builds').where('app_id', 'in', appIds).execute();
  await trx.deleteFrom('packages').where('app_id', 'in', appIds).execute();
  await trx.deleteFrom('apps').where('id', 'in', appIds).execute();
  return {
    appIds,
    dropletGuids: droplets.map((d) => d.guid),
    packageGuids: packages.map((p) => p.guid),
    activeTaskGuids: tasks.filter((t) => !isTerminal(t.state)).map((t) => t.guid),
  };
}

/** Removes the deleted apps' droplet trees and package bundles; after the transaction has committed. */
export async function removeBitsOf(deleted: Pick<DeletedApps, 'dropletGuids' | 'packageGuids'>, files: DropletFiles): Promise<void> {
  await files.remove(deleted.dropletGuids);
  await files.packages.remove(deleted.packageGuids);
}
