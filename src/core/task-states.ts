// The task state machine: the one place that decides which state may follow which. Stores apply
// a transition as a guarded UPDATE … WHERE state IN (from), so a race cannot make an illegal one.
// PAUSING and PAUSED are taskd's own (Astra's pause); each dialect's view of the states is its own
// (api/<dialect>/states.ts): CF, which has no pause, shows them as RUNNING.
export const TASK_STATES = ['PENDING', 'RUNNING', 'PAUSING', 'PAUSED', 'CANCELING', 'SUCCEEDED', 'FAILED'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const TERMINAL_STATES: readonly TaskState[] = ['SUCCEEDED', 'FAILED'];
/** States in which a runner holds the task and its process exists (or is being started). */
export const RUNNER_HELD_STATES: readonly TaskState[] = ['RUNNING', 'PAUSING', 'PAUSED', 'CANCELING'];
/** States that hold a runner slot or wait for one. */
export const ACTIVE_STATES: readonly TaskState[] = ['PENDING', ...RUNNER_HELD_STATES];
/**
 * States whose tasks use quota: waiting or running. A paused task still holds its memory (its
 * processes are frozen, not gone), so PAUSING and PAUSED count as RUNNING does.
 */
export const QUOTA_STATES: readonly TaskState[] = ['PENDING', 'RUNNING', 'PAUSING', 'PAUSED'];

export type TaskEvent = 'claim' | 'pause' | 'frozen' | 'resume' | 'cancel' | 'succeed' | 'fail';

/** For each event, the states it may leave from and the state it leads to (fail keeps its reason). */
export const TRANSITIONS: Record<TaskEvent, { from: readonly TaskState[]; to: TaskState }> = {
  claim: { from: ['PENDING'], to: 'RUNNING' },
  // Asked by the API; the runner freezes the process group and then records `frozen`.
  pause: { from: ['RUNNING'], to: 'PAUSING' },
  frozen: { from: ['PAUSING'], to: 'PAUSED' },
  // Also from PAUSING: a pause may be taken back before the runner got to it.
  resume: { from: ['PAUSING', 'PAUSED'], to: 'RUNNING' },
  cancel: { from: ['PENDING', 'RUNNING', 'PAUSING', 'PAUSED', 'CANCELING'], to: 'CANCELING' },
  // A frozen process can still end: killed by a limit's watchdog, or from outside.
  succeed: { from: ['RUNNING', 'PAUSING', 'PAUSED', 'CANCELING'], to: 'SUCCEEDED' },
  fail: { from: ['PENDING', 'RUNNING', 'PAUSING', 'PAUSED', 'CANCELING'], to: 'FAILED' },
};

export const isTerminal = (state: string): boolean => (TERMINAL_STATES as readonly string[]).includes(state);

/** failure_reason values, as CF and Diego word them. */
export const FAILURE = {
  cancelled: 'task was cancelled',
  unableToRun: 'Unable to request task to be run',
  unknownCompletion: 'Unable to determine completion status',
  exited: (status: number) => `Exited with status ${status}`,
  killed: (signal: string) => `Killed by signal ${signal}`,
  /** taskd's own: taskd stopped it on its way out (Ctrl-C, SIGTERM), not something else on the host. */
  shutDown: 'Stopped: taskd was shut down',
} as const;
