// How a finished task ends the CLI that waited for it: with the task's own exit status when it
// exited by itself, else 1, and one line on stderr saying why it failed.
import type { TaskEnd } from './task-log.js';

const EXITED = /^Exited with status (\d+)$/;

export function exitStatusOf(end: TaskEnd): number {
  if (end.state === 'SUCCEEDED') return 0;
  const exited = EXITED.exec(end.failure_reason ?? '');
  const status = exited ? Number(exited[1]) : 1;
  // A status the shell cannot carry (0 for a failure, above 255) still says failure.
  return status >= 1 && status <= 255 ? status : 1;
}

export function failureLine(taskName: string, end: TaskEnd): string {
  return `task ${taskName} failed: ${end.failure_reason ?? `ended ${end.state}`}`;
}
