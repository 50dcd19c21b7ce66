// Organization and space quota checks for a new task (spec §4, model validations).
import type { Transaction } from 'kysely';
import { QUOTA_STATES } from '../core/task-states.js';
import type { Database, QuotaRow } from '../store/schema.js';
import type { AppInSpace } from '../fetchers/apps.js';
import { quotasForSpace } from '../fetchers/quotas.js';
import type { ModelErrors } from './model-errors.js';

const isLimited = (limit: number | null): limit is number => limit !== null && limit !== -1;

interface Usage {
  memory: number;
  logRate: number;
  tasks: number;
}

/**
 * The organization's quota, then the space's (CF's order). Usage is what waiting, running and
 * paused tasks hold (QUOTA_STATES; taskd runs no long-lived app processes). Read after the app row is locked, so creates on
 * one app see each other.
 */
export async function checkQuotas(
  trx: Transaction<Database>,
  found: AppInSpace,
  task: { memory: number; logRate: number },
  errors: ModelErrors,
) {
  const { spaceQuota, orgQuota } = await quotasForSpace(trx, found.space.id);
  if (orgQuota)
    checkQuota(
      orgQuota,
      await usage(trx, 'organization_id', found.org.id),
      task,
      `organization '${found.org.name}'`,
      'organization',
      errors,
    );
  if (spaceQuota)
    checkQuota(spaceQuota, await usage(trx, 'space_id', found.space.id), task, `space '${found.space.name}'`, 'space', errors);
}

function checkQuota(
  quota: QuotaRow,
  used: Usage,
  task: { memory: number; logRate: number },
  named: string,
  kind: string,
  errors: ModelErrors,
): void {
  if (isLimited(quota.total_memory_in_mb) && quota.total_memory_in_mb - used.memory < task.memory)
    errors.add('memory_in_mb', `exceeds ${kind} memory quota`);
  if (isLimited(quota.per_process_memory_in_mb) && task.memory > quota.per_process_memory_in_mb)
    errors.add('memory_in_mb', `exceeds ${kind} instance memory quota`);
  const logQuota = quota.log_rate_limit_in_bytes_per_second;
  if (isLimited(logQuota)) {
    if (task.logRate === -1) errors.add('log_rate_limit', `cannot be unlimited in ${named}.`);
    if (logQuota - used.logRate < task.logRate) errors.add('log_rate_limit', `exceeds ${kind} log rate quota`);
  }
  if (isLimited(quota.per_app_tasks) && used.tasks >= quota.per_app_tasks) errors.add('app_task_limit', 'quota exceeded');
}

async function usage(trx: Transaction<Database>, column: 'space_id' | 'organization_id', id: number): Promise<Usage> {
  const row = await trx
    .selectFrom('tasks')
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('memory_in_mb'), eb.lit(0)).as('memory'),
      // An unlimited (-1) task uses no countable share of a log rate quota.
      eb.fn
        .coalesce(eb.fn.sum<number>(eb.case().when('log_rate_limit', '>', 0).then(eb.ref('log_rate_limit')).else(0).end()), eb.lit(0))
        .as('log_rate'),
      eb.fn.countAll<number>().as('tasks'),
    ])
    .where(column, '=', id)
    .where('state', 'in', QUOTA_STATES)
    .executeTakeFirstOrThrow();
  return { memory: Number(row.memory), logRate: Number(row.log_rate), tasks: Number(row.tasks) };
}
