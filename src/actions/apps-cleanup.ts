// Deleting apps takes their droplets, processes, tasks and metadata with them. The droplets' bits
// are files: callers remove them once the transaction has committed
// (`DropletFiles.remove(deleted.dropletGuids)`), so a rollback never loses bits still in use.
// Likewise, tasks still running are stopped after commit (`signals.cancelRequested` for each of
// `deleted.activeTaskGuids`): their rows are gone, so a runner stops them when told.
import type { SelectQueryBuilder, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import { deleteMetadata } from '../store/metadata.js';
import { deleteTasks } from '../store/tasks/removal.js';
import { isTerminal } from '../core/task-states.js';

export interface DeletedApps {
  appIds: number[];
  /** Droplets deleted with the apps, whose directories are to be removed after commit. */
  dropletGuids: string[];
  /** Tasks deleted while not yet finished, whose runners are to stop them after commit. */
  activeTaskGuids: string[];
}

export async function deleteAppsWhere(
  trx: Transaction<Database>,
  narrow: (qb: SelectQueryBuilder<Database, 'apps', { id: number }>) => SelectQueryBuilder<Database, 'apps', { id: number }>,
): Promise<DeletedApps> {
  const apps = await narrow(trx.selectFrom('apps').select('id')).execute();
  const appIds = apps.map((a) => a.id);
  if (!appIds.length) return { appIds: [], dropletGuids: [], activeTaskGuids: [] };
  const tasks = await trx.selectFrom('tasks').select(['id', 'guid', 'state']).where('app_id', 'in', appIds).execute();
  await deleteTasks(
    trx,
    tasks.map((t) => t.id),
  );
  const droplets = await trx.selectFrom('droplets').select(['id', 'guid']).where('app_id', 'in', appIds).execute();
  const processes = await trx.selectFrom('processes').select('id').where('app_id', 'in', appIds).execute();
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
  await trx.deleteFrom('apps').where('id', 'in', appIds).execute();
  return {
    appIds,
    dropletGuids: droplets.map((d) => d.guid),
    activeTaskGuids: tasks.filter((t) => !isTerminal(t.state)).map((t) => t.guid),
  };
}
