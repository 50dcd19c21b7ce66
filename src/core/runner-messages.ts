// The runner's own lines in a task's messages (source 'runner'): when it started and how it ended.
import { FAILURE } from './task-states.js';

/** The task as a message is appended: its text may depend on how the task ended. */
export interface TaskAsAppended {
  state: string;
  failure_reason: string | null;
}

export const STARTED_MESSAGE = 'started';

/** Its processes were frozen on a pause request; and thawed again on a resume. */
export const PAUSED_MESSAGE = 'paused';
export const RESUMED_MESSAGE = 'resumed';

/** The app asked for tasks without network (`taskd.io/task-network: off`), which needs the sandbox. */
export const NETWORK_NOT_ISOLATED_MESSAGE = 'the app asks for no network, but this host has no sandbox: the task has the network';

/** Lines of the task's output that could not be stored (the store was out of space for too long, or failed). */
export const outputLostMessage = (lines: number) =>
  `${lines} line${lines === 1 ? '' : 's'} of output could not be stored and are missing from the log`;

/** The runner that ran the task stopped heartbeating: its node (host and pid) is named. */
export const lostRunnerMessage = (runner: string, leaseSeconds: number) =>
  `its runner on ${runner} was lost: no heartbeat for ${leaseSeconds} s`;

/**
 * How the task ended, read from its recorded row rather than from the process: a cancelled task's
 * process dies of SIGTERM, but what the user did was cancel it. Limits name themselves in the
 * failure reason ("… limit exceeded").
 */
export function endMessage(task: TaskAsAppended): string {
  if (task.state === 'SUCCEEDED') return 'exited with status 0';
  if (task.failure_reason === FAILURE.cancelled) return 'cancelled';
  const reason = task.failure_reason ?? 'ended';
  return reason.charAt(0).toLowerCase() + reason.slice(1);
}
