// A task as vSphere's com.vmware.cis.task.Info (specs/dialects.md §2.3 and §5). The id a client
// uses for it (list key, path segment) is the task's guid.
import type { TaskView } from '../../../fetchers/task-query.js';
import { FAILURE, type TaskState } from '../../../core/task-states.js';
import { CANCELABLE_STATES, STATUS_OF_STATE, TASK_OPERATION, TASK_SERVICE, TASK_TARGET_TYPE } from '../task-status.js';
import type { LocalizableMessage, Wire } from '../wire.js';
import type { ResultSpec } from '../messages/filter-spec.js';

const message = (id: string, text: string, args: string[] = []): LocalizableMessage => ({ id, default_message: text, args });

const isFinished = (task: TaskView) => task.state === 'SUCCEEDED' || task.state === 'FAILED';

/**
 * A failed task's error, written as the wire writes its own errors ({type, value} on /rest,
 * {error_type, messages} on /api, which is also govmomi's model): CANCELED for a cancelled task.
 */
function errorOf(task: TaskView, wire: Wire): unknown {
  const cancelled = task.failure_reason === FAILURE.cancelled;
  const text = task.failure_reason ?? 'Task failed';
  return wire.errorBody(cancelled ? 'canceled' : 'error', [message(cancelled ? 'taskd.task.canceled' : 'taskd.task.failed', text)]);
}

/**
 * Percent done as the task last reported it (100 once it succeeded), with the message of that
 * report: what the task says of its progress, not taskd's own messages ("started") beside it.
 */
function progressOf(task: TaskView) {
  const completed = task.state === 'SUCCEEDED' ? 100 : (task.progress_percent ?? 0);
  return { total: 100, completed, message: message('taskd.task.message', task.progress_message ?? '') };
}

function resultOf(task: TaskView, spec: ResultSpec, wire: Wire): Record<string, unknown> | undefined {
  if (spec.excludeResult) return undefined;
  const result: Record<string, unknown> = {};
  if (isFinished(task)) result.exit_status = task.exit_status;
  if (spec.returnAll) {
    result.taskd = {
      guid: task.guid,
      name: task.name,
      sequence_id: task.sequence_id,
      memory_in_mb: task.memory_in_mb,
      disk_in_mb: task.disk_in_mb,
      labels: wire.map(task.labels.map((l) => [l.key, l.value] as const)),
    };
  }
  return Object.keys(result).length ? result : undefined;
}

export function presentTaskInfo(task: TaskView, spec: ResultSpec, wire: Wire): Record<string, unknown> {
  const status = STATUS_OF_STATE[task.state as TaskState];
  const finished = isFinished(task);
  const info: Record<string, unknown> = {
    description: message(TASK_SERVICE, task.name, [task.name]),
    service: TASK_SERVICE,
    operation: TASK_OPERATION,
  };
  if (task.parent_task_guid !== null) info.parent = task.parent_task_guid;
  info.target = { type: TASK_TARGET_TYPE, id: task.app_guid };
  info.status = status;
  info.cancelable = CANCELABLE_STATES.includes(task.state as TaskState);
  if (task.state === 'FAILED') info.error = errorOf(task, wire);
  // A task cancelled before any runner took it never started: its start is its end, so every
  // finished task carries both times and start_time <= end_time holds.
  const started = task.started_at ?? (finished ? (task.finished_at ?? task.updated_at) : null);
  if (status !== 'PENDING' && started !== null) info.start_time = started;
  if (finished) info.end_time = task.finished_at ?? task.updated_at;
  if (task.created_by_name !== null) info.user = task.created_by_name;
  if (status !== 'PENDING') info.progress = progressOf(task);
  const result = resultOf(task, spec, wire);
  if (result) info.result = result;
  return info;
}
