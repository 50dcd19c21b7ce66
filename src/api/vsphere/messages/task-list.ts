// A list request as a TaskQuery (core/task-query.ts). taskd's tasks are all of one service and
// operation and target apps, so `services`, `operations` and target types are decided here: a
// filter naming none of taskd's can match nothing, and the store is not asked.
import type { TaskCondition, TaskQuery } from '../../../core/task-query.js';
import { invalidArgument } from '../errors.js';
import type { FilterSpec, ResultSpec } from './filter-spec.js';
import type { ListQueryMessage } from './list-query.js';
import { isTaskStatus, statesOfStatus, TASK_OPERATION, TASK_SERVICE, TASK_STATUSES, TASK_TARGET_TYPE } from '../task-status.js';

/** More visible matches than this is an error, not a truncated answer (spec §2.4, §5). */
export const MAX_LISTED_TASKS = 1000;

export interface TaskListMessage {
  /** Undefined when the filter cannot match any taskd task. */
  query: TaskQuery | undefined;
  result: ResultSpec;
}

function statesOf(status: readonly string[]): string[] {
  return status.flatMap((s) => {
    if (!isTaskStatus(s)) throw invalidArgument(`filter_spec.status: '${s}' is not a task status (${TASK_STATUSES.join(', ')})`);
    return statesOfStatus(s);
  });
}

function conditionsOf(filter: FilterSpec): TaskCondition[] | undefined {
  if (filter.services.length && !filter.services.includes(TASK_SERVICE)) return undefined;
  if (filter.operations.length && !filter.operations.includes(TASK_OPERATION)) return undefined;
  const appGuids = filter.targets.filter((t) => t.type === TASK_TARGET_TYPE).map((t) => t.id);
  if (filter.targets.length && !appGuids.length) return undefined;
  const where: TaskCondition[] = [];
  if (filter.tasks.length) where.push({ field: 'guid', op: 'in', values: filter.tasks });
  if (filter.status.length) where.push({ field: 'state', op: 'in', values: statesOf(filter.status) });
  if (appGuids.length) where.push({ field: 'app_guid', op: 'in', values: appGuids });
  if (filter.users.length) where.push({ field: 'created_by_name', op: 'in', values: filter.users });
  return where;
}

export function toTaskListMessage({ filter, result }: ListQueryMessage): TaskListMessage {
  // Status names are checked even when services already rule every task out.
  if (filter.status.length) statesOf(filter.status);
  if (!filter.tasks.length && !filter.services.length) {
    throw invalidArgument('filter_spec must name at least one of tasks or services (for example filter_spec.services = taskd.task)');
  }
  const where = conditionsOf(filter);
  // One more than the most that may be answered: enough to know there are too many.
  return { query: where && { where, order: [{ field: 'id', direction: 'asc' }], limit: MAX_LISTED_TASKS + 1 }, result };
}
