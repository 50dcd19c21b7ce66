// What a claimed task needs from its app, space and organization to run, read in the same
// statement that claims (or adopts) it.
import type { ExpressionBuilder } from 'kysely';
import type { Database, TaskRow } from '../schema.js';

export interface LaunchContext {
  appGuid: string;
  appName: string;
  /** JSON object of strings. */
  environmentVariables: string;
  spaceGuid: string;
  spaceName: string;
  organizationGuid: string;
  organizationName: string;
  /** The app's `taskd.io/task-network` annotation: 'off' takes the network from its tasks. */
  appTaskNetwork: string | null;
}

export type ClaimedTask = TaskRow & LaunchContext;

/** The app annotation that takes the network from the app's tasks: `taskd.io/task-network: off`. */
export const TASK_NETWORK_ANNOTATION = { prefix: 'taskd.io', name: 'task-network' };

/**
 * A task's app, space and organization, as scalar subqueries in RETURNING (SQLite's RETURNING may
 * not name joined tables): one statement per claim, not two.
 */
export const launchContext = ({ selectFrom }: ExpressionBuilder<Database, 'tasks'>) => [
  selectFrom('apps').select('apps.guid').whereRef('apps.id', '=', 'tasks.app_id').as('appGuid'),
  selectFrom('apps').select('apps.name').whereRef('apps.id', '=', 'tasks.app_id').as('appName'),
  selectFrom('apps').select('apps.environment_variables').whereRef('apps.id', '=', 'tasks.app_id').as('environmentVariables'),
  selectFrom('spaces').select('spaces.guid').whereRef('spaces.id', '=', 'tasks.space_id').as('spaceGuid'),
  selectFrom('spaces').select('spaces.name').whereRef('spaces.id', '=', 'tasks.space_id').as('spaceName'),
  selectFrom('organizations')
    .select('organizations.guid')
    .whereRef('organizations.id', '=', 'tasks.organization_id')
    .as('organizationGuid'),
  selectFrom('organizations')
    .select('organizations.name')
    .whereRef('organizations.id', '=', 'tasks.organization_id')
    .as('organizationName'),
  selectFrom('metadata')
    .select('metadata.value')
    .where('metadata.resource_kind', '=', 'app')
    .whereRef('metadata.resource_id', '=', 'tasks.app_id')
    .where('metadata.metadata_kind', '=', 'annotation')
    .where('metadata.key_prefix', '=', TASK_NETWORK_ANNOTATION.prefix)
    .where('metadata.key_name', '=', TASK_NETWORK_ANNOTATION.name)
    .as('appTaskNetwork'),
];

type WithLaunchContext = TaskRow & { [K in keyof LaunchContext]: LaunchContext[K] | null };

/**
 * RETURNING has no order; tasks start oldest first. A task whose app is gone (it cannot be:
 * deleting an app deletes its tasks in the same transaction) would have no launch context.
 */
export function withLaunchContext(rows: WithLaunchContext[]): ClaimedTask[] {
  const tasks = rows.filter((t): t is ClaimedTask => t.appGuid != null && t.spaceGuid != null && t.organizationGuid != null);
  return tasks.sort((a, b) => a.id - b.id);
}
