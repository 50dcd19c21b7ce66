// CF's view of the core task states (DESIGN.md, "How the views map"): one place for the
// presenter and the `states` filter, so a filter matches exactly the tasks that show its state.
import { TASK_STATES, type TaskState } from '../../core/task-states.js';

/** How CF's view shows each state: it has no pause, so a paused task is, to CF clients, running. */
const CF_STATE: Record<TaskState, string> = {
  PENDING: 'PENDING',
  RUNNING: 'RUNNING',
  PAUSING: 'RUNNING',
  PAUSED: 'RUNNING',
  CANCELING: 'CANCELING',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
};

export const cfStateOf = (state: string): string => CF_STATE[state as TaskState] ?? state;

/**
 * The stored states a `states` filter value matches: those CF shows as it (RUNNING matches
 * PAUSING and PAUSED too, so a CF client's filter agrees with the `state` it reads). A taskd
 * state CF never shows (PAUSING, PAUSED) still matches itself: taskd's own, exact filter.
 */
export function storedStatesMatching(values: readonly string[]): string[] {
  const matched = new Set<string>();
  for (const value of values) {
    matched.add(value);
    for (const state of TASK_STATES) if (CF_STATE[state] === value) matched.add(state);
  }
  return [...matched];
}
