// Astra's view of the core task states (DESIGN.md, "How the views map"): one place for the
// presenter and the filter parser, so a `state` filter matches exactly the tasks that show it.
import { FAILURE, TASK_STATES, TRANSITIONS, type TaskState } from '../../core/task-states.js';
import type { TaskCondition } from '../../core/task-query.js';

export const ASTRA_STATES = ['notStarted', 'running', 'completed', 'pausing', 'paused', 'cancelling', 'cancelled', 'failed'] as const;
export type AstraState = (typeof ASTRA_STATES)[number];

const DIRECT: Record<Exclude<TaskState, 'FAILED'>, AstraState> = {
  PENDING: 'notStarted',
  RUNNING: 'running',
  PAUSING: 'pausing',
  PAUSED: 'paused',
  CANCELING: 'cancelling',
  SUCCEEDED: 'completed',
};

/** A FAILED task is `cancelled` when a cancel ended it, else `failed`. */
export function astraStateOf(state: string, failureReason: string | null): AstraState {
  if (state === 'FAILED') return failureReason === FAILURE.cancelled ? 'cancelled' : 'failed';
  return DIRECT[state as Exclude<TaskState, 'FAILED'>] ?? 'failed';
}

const inState = (state: TaskState): TaskCondition => ({ field: 'state', op: 'eq', value: state });
const cancelled: TaskCondition = {
  op: 'and',
  conditions: [inState('FAILED'), { field: 'failure_reason', op: 'eq', value: FAILURE.cancelled }],
};

/** The stored rows that show each Astra state. */
export const ASTRA_STATE_CONDITIONS: Record<AstraState, TaskCondition> = {
  notStarted: inState('PENDING'),
  running: inState('RUNNING'),
  pausing: inState('PAUSING'),
  paused: inState('PAUSED'),
  cancelling: inState('CANCELING'),
  completed: inState('SUCCEEDED'),
  cancelled,
  // TaskQuery's `ne` matches a null reason too: a FAILED task without one shows as failed.
  failed: { op: 'and', conditions: [inState('FAILED'), { field: 'failure_reason', op: 'ne', value: FAILURE.cancelled }] },
};

export interface StateTransition {
  from: AstraState;
  to: AstraState[];
}

/**
 * The core transition table in Astra's words. `fail` out of CANCELING is how a cancel ends
 * (FAILED "task was cancelled"), so there it leads to `cancelled`; elsewhere to `failed`.
 */
function astraTransitions(): StateTransition[] {
  const out: StateTransition[] = [];
  for (const from of TASK_STATES) {
    if (from === 'FAILED') continue;
    const astraFrom = astraStateOf(from, null);
    const to = new Set<AstraState>();
    for (const [event, t] of Object.entries(TRANSITIONS)) {
      if (!t.from.includes(from)) continue;
      const target = event === 'fail' && from === 'CANCELING' ? 'cancelled' : astraStateOf(t.to, null);
      if (target !== astraFrom) to.add(target);
    }
    if (to.size) out.push({ from: astraFrom, to: ASTRA_STATES.filter((s) => to.has(s)) });
  }
  return out;
}

/** The same for every task: Astra's list is informational, about the kind of task. */
export const STATE_TRANSITIONS: readonly StateTransition[] = astraTransitions();
