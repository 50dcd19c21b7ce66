// How a taskd task looks to vSphere (specs/dialects.md §5): one service and operation, an app as
// the target, and vSphere's five statuses over taskd's seven states. Presenter and list filter
// both read this, so what a filter on a status finds is what that status shows.
import { TASK_STATES, type TaskState } from '../../core/task-states.js';

export const TASK_SERVICE = 'taskd.task';
export const TASK_OPERATION = 'run';
export const TASK_TARGET_TYPE = 'app';

export const TASK_STATUSES = ['PENDING', 'RUNNING', 'BLOCKED', 'SUCCEEDED', 'FAILED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const STATUS_OF_STATE: Record<TaskState, TaskStatus> = {
  PENDING: 'PENDING',
  RUNNING: 'RUNNING',
  PAUSING: 'BLOCKED',
  PAUSED: 'BLOCKED',
  // A cancel under way is still running to vSphere, with cancelable false.
  CANCELING: 'RUNNING',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
};

/** The stored states a status stands for. */
export function statesOfStatus(status: TaskStatus): TaskState[] {
  return TASK_STATES.filter((state) => STATUS_OF_STATE[state] === status);
}

export const isTaskStatus = (value: string): value is TaskStatus => (TASK_STATUSES as readonly string[]).includes(value);

/**
 * States in which a cancel would stop the task. §5 names PENDING, RUNNING and PAUSED; PAUSING is
 * added because the core cancels it as it does PAUSED (the freeze is simply abandoned). CANCELING
 * is not: the cancel is already under way.
 */
export const CANCELABLE_STATES: readonly TaskState[] = ['PENDING', 'RUNNING', 'PAUSING', 'PAUSED'];
