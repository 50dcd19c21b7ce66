// Organization and space quota checks for a new task (spec §4, model validations).
import type { Kysely } from 'kysely';
import { QUOTA_STATES } from '../core/task-states.js';
import type { Database, QuotaRow } from '../store/schema.js';
import type { AppInSpace } from '../fetchers/apps.js';
import type { SpaceQuotas } from '../fetchers/quotas.js';
import type { ModelErrors } from './model-errors.js';

const isLimited = (limit: number | null): limit is number => limit !== null && limit !== -1;

interface Usage {
  memory: number;
  logRate: number;
  tasks: number;
}

/** The new task, and whether its own row is among those the usage reads (inserted waiting). */
export interface QuotaCandidate {
  memory: number;
  logRate: number;
  counted: boolean;
}

/**
 * The organization's quota, then the space's (CF's order). Usage is what waiting, running and
 * paused tasks hold (QUOTA_STATES; taskd runs no long-lived app processes). A create reads it with
 * the app row locked, so creates on one app see each other; the quotas themselves are read before
 * (they bound the usage, and need no lock).
 */
export async function checkQuotas(
  db: Kysely<Database>,
  found: AppInSpace,
  { spaceQuota, orgQuota }: SpaceQuotas,
  task: QuotaCandidate,
  errors: ModelErrors,
): Promise<void> {
  if (!orgQuota && !spaceQuota) return;
  const used = await usage(db, found, task);
  if (orgQuota) checkQuota(orgQuota, used.org, task, `organization '${found.org.name}'`, 'organization', errors);
  if (spaceQuota) checkQuota(spaceQuota, used.space, task, `space '${found.space.name}'`, 'space', errors);
}

function checkQuota(quota: QuotaRow, used: Usage, task: QuotaCandidate, named: string, kind: string, errors: ModelErrors): void {
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

/** A task's share of a log rate quota: an unlimited (-1) task uses no countable share. */
const logRateShare = (logRate: number) => Math.max(logRate, 0);

/**
 * The organization's usage and the space's, in one query over the organization's tasks, without
 * the new task's own share when it is counted among them.
 */
async function usage(db: Kysely<Database>, found: AppInSpace, task: QuotaCandidate): Promise<{ org: Usage; space: Usage }> {
  const row = await db
    .selectFrom('tasks')
    .select((eb) => {
      const inSpace = eb('space_id', '=', found.space.id);
      const logRate = eb.case().when('log_rate_limit', '>', 0).then(eb.ref('log_rate_limit')).else(0).end();
      const sum = (value: Parameters<typeof eb.fn.sum>[0]) => eb.fn.coalesce(eb.fn.sum<number>(value), eb.lit(0));
      return [
        sum('memory_in_mb').as('org_memory'),
        sum(logRate).as('org_log_rate'),
        eb.fn.countAll<number>().as('org_tasks'),
        sum(eb.case().when(inSpace).then(eb.ref('memory_in_mb')).else(0).end()).as('space_memory'),
        sum(eb.case().when(inSpace).then(logRate).else(0).end()).as('space_log_rate'),
        sum(eb.case().when(inSpace).then(1).else(0).end()).as('space_tasks'),
      ];
    })
    .where('organization_id', '=', found.org.id)
    .where('state', 'in', QUOTA_STATES)
    .executeTakeFirstOrThrow();
  const own: Usage = task.counted
    ? { memory: task.memory, logRate: logRateShare(task.logRate), tasks: 1 }
    : { memory: 0, logRate: 0, tasks: 0 };
  const less = (memory: unknown, logRate: unknown, tasks: unknown): Usage => ({
    memory: Number(memory) - own.memory,
    logRate: Number(logRate) - own.logRate,
    tasks: Number(tasks) - own.tasks,
  });
  return { org: less(row.org_memory, row.org_log_rate, row.org_tasks), space: less(row.space_memory, row.space_log_rate, row.space_tasks) };
}
