// How a task ended, as the runner records it: the state, CF's (Diego's) failure reason, the exit status.
import { FAILURE, type TaskState } from './task-states.js';

export interface TaskOutcome {
  state: TaskState;
  failureReason: string | null;
  /** The shell's exit status; for a signal, 128 + its number, as shells report it. */
  exitStatus: number | null;
  /** Bytes of output dropped over the log rate limit, recorded with the outcome when any. */
  logBytesDropped?: number;
}

/** Exit status 0. */
export const succeededOutcome: TaskOutcome = Object.freeze({ state: 'SUCCEEDED', failureReason: null, exitStatus: 0 });

/** The process was lost (its supervisor died, or it could not be started): nobody saw it end. */
export const unknownOutcome: TaskOutcome = { state: 'FAILED', failureReason: FAILURE.unknownCompletion, exitStatus: null };

/** The task could not be started here (its droplet's bits are gone, the spawn failed). */
export const notStartedOutcome: TaskOutcome = { state: 'FAILED', failureReason: FAILURE.unableToRun, exitStatus: null };
