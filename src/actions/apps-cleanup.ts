// Deleting apps takes their droplets, processes and metadata with them (and, later, their tasks).
// The droplets' bits are files: callers remove them once the transaction has committed
// (`DropletFiles.remove(deleted.dropletGuids)`), so a rollback never loses bits still in use.
import type { SelectQueryBuilder, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import { deleteMetadata } from '../store/metadata.js';

export interface DeletedApps {
  appIds: number[];
  /** Droplets deleted with the apps, whose directories are to be removed after commit. */
  dropletGuids: string[];
}

export async function deleteAppsWhere(
  trx: Transaction<Database>,
  narrow: (qb: SelectQueryBuilder<Database, 'apps', { id: number }>) => SelectQueryBuilder<Database, 'apps', { id: number }>,
): Promise<DeletedApps> {
  const apps = await narrow(trx.selectFrom('apps').select('id')).execute();
  const appIds = apps.map((a) => a.id);
  if (!appIds.length) return { appIds: [], dropletGuids: [] };
  const droplets = await trx.selectFrom('droplets').select(['id', 'guid']).where('app_id', 'in', appIds).execute();
  const processes = await trx.selectFrom('processes').select('id').where('app_id', 'in', appIds).execute();
  await deleteMetadata(trx, 'droplet', droplets.map((d) => d.id));
  await deleteMetadata(trx, 'process', processes.map((p) => p.id));
  await deleteMetadata(trx, 'app', appIds);
  await trx.deleteFrom('processes').where('app_id', 'in', appIds).execute();
  await trx.deleteFrom('droplets').where('app_id', 'in', appIds).execute();
  await trx.deleteFrom('apps').where('id', 'in', appIds).execute();
  return { appIds, dropletGuids: droplets.map((d) => d.guid) };
}
