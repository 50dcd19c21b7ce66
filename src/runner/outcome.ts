// How a task process's end reads as a task outcome, in CF's (Diego's) words.
import { constants } from 'node:os';
import { FAILURE } from '../core/task-states.js';
import { succeededOutcome, type TaskOutcome } from '../core/task-outcome.js';
import type { LimitsAtEnd } from './supervisor-client.js';

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
