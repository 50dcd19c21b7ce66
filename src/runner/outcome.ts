// How a task process's end reads as a task outcome, in CF's (Diego's) words.
import { constants } from 'node:os';
import { FAILURE, type TaskState } from '../core/task-states.js';
import type { LimitsAtEnd } from './supervisor-client.js';

export interface TaskOutcome {
  state: TaskState;
  failureReason: string | null;
  /** The shell's exit status; for a signal, 128 + its number, as shells report it. */
  exitStatus: number | null;
  /** Bytes of output dropped over the log rate limit, recorded with the outcome when any. */
  logBytesDropped?: number;
}

/** How the shell ended; a limit that ended it (its kill) names the failure instead. */
export function exitOutcome(code: number | null, signal: NodeJS.Signals | null, limits?: LimitsAtEnd): TaskOutcome {
  const outcome = processOutcome(code, signal);
  const dropped = limits?.droppedBytes ? { logBytesDropped: limits.droppedBytes } : {};
  if (limits?.exceeded) return { ...outcome, state: 'FAILED', failureReason: limits.exceeded, ...dropped };
  return { ...outcome, ...dropped };
}

function processOutcome(code: number | null, signal: NodeJS.Signals | null): TaskOutcome {
  if (signal) {
    const number = constants.signals[signal as keyof typeof constants.signals];
    return { state: 'FAILED', failureReason: FAILURE.killed(signal), exitStatus: number === undefined ? null : 128 + number };
  }
  if (code === 0) return succeededOutcome;
  return { state: 'FAILED', failureReason: FAILURE.exited(code ?? -1), exitStatus: code };
}

/** Exit status 0. */
export const succeededOutcome: TaskOutcome = Object.freeze({ state: 'SUCCEEDED', failureReason: null, exitStatus: 0 });

/** The process was lost (its supervisor died, or it could not be started): nobody saw it end. */
export const unknownOutcome: TaskOutcome = { state: 'FAILED', failureReason: FAILURE.unknownCompletion, exitStatus: null };

/** The task could not be started here (its droplet's bits are gone, the spawn failed). */
export const notStartedOutcome: TaskOutcome = { state: 'FAILED', failureReason: FAILURE.unableToRun, exitStatus: null };
