// The task state machine: the one place that decides which state may follow which. Stores apply
// a transition as a guarded UPDATE … WHERE state IN (from), so a race cannot make an illegal one.
export const TASK_STATES = ['PENDING', 'RUNNING', 'CANCELING', 'SUCCEEDED', 'FAILED'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const TERMINAL_STATES: readonly TaskState[] = ['SUCCEEDED', 'FAILED'];
/** States that hold a runner slot or wait for one; quotas count PENDING and RUNNING. */
export const ACTIVE_STATES: readonly TaskState[] = ['PENDING', 'RUNNING', 'CANCELING'];
export const QUOTA_STATES: readonly TaskState[] = ['PENDING', 'RUNNING'];

export type TaskEvent = 'claim' | 'cancel' | 'succeed' | 'fail';

/** For each event, the states it may leave from and the state it leads to (fail keeps its reason). */
export const TRANSITIONS: Record<TaskEvent, { from: readonly TaskState[]; to: TaskState }> = {
  claim: { from: ['PENDING'], to: 'RUNNING' },
  cancel: { from: ['PENDING', 'RUNNING', 'CANCELING'], to: 'CANCELING' },
  succeed: { from: ['RUNNING', 'CANCELING'], to: 'SUCCEEDED' },
  fail: { from: ['PENDING', 'RUNNING', 'CANCELING'], to: 'FAILED' },
};

export const isTerminal = (state: string): boolean => (TERMINAL_STATES as readonly string[]).includes(state);

/** failure_reason values, as CF and Diego word them. */
export const FAILURE = {
  cancelled: 'task was cancelled',
  unableToRun: 'Unable to request task to be run',
  unknownCompletion: 'Unable to determine completion status',
  exited: (status: number) => `Exited with status ${status}`,
  killed: (signal: string) => `Killed by signal ${signal}`,
} as const;
