// Helpers for tests of a task's own token: a taskd listening on a real port (its tasks call it
// back with curl), the token a task printed, and a shell function tasks use to call the API.
import { before } from 'node:test';
import type { Config } from '../../src/config.js';
import type { Harness } from './harness.js';
import { eventually, outputOf, taskRow } from '../runner/helpers.js';

/**
 * No external URL: tasks get the address the server really listens on as TASKD_API. Slots enough
 * for the sleeping tasks of a suite; a short grace so cancelled tasks end quickly.
 */
export const TASK_TOKEN_CONFIG: Partial<Config> = { externalUrl: undefined, runnerSlots: 16, cancelGraceSeconds: 2 };

/** Registers a before hook (after the harness's) that makes the server listen on a free port. */
export function listenForTasks(h: Harness): void {
  before(() => h.taskd.app.listen({ host: '127.0.0.1', port: 0 }));
}

/** The first `count` lines a task printed, once it has printed them. */
export async function printedLines(h: Harness, guid: string, count: number): Promise<string[]> {
  let lines: string[] = [];
  await eventually(`task ${guid} printed ${count} lines`, async () => {
    const row = await taskRow(h, guid);
    const text = row ? (await outputOf(h, row.id)).map((l) => l.text).join('\n') : '';
    lines = text.split('\n').filter((l) => l !== '');
    return lines.length >= count;
  });
  return lines.slice(0, count);
}

/** A command that prints its token, then waits to be cancelled. */
export const PRINT_TOKEN_AND_WAIT = 'echo "$TASKD_TASK_TOKEN"; sleep 300';

/** The token a task running PRINT_TOKEN_AND_WAIT printed. */
export async function tokenOf(h: Harness, guid: string): Promise<string> {
  return (await printedLines(h, guid, 1))[0]!;
}

/**
 * Shell function `api METHOD PATH [BODY]`: calls taskd with the task's own token and prints one
 * line, the response body then the HTTP status (read back with parseApiLine).
 */
export const API_FUNCTION =
  [
    'api() {',
    'if [ -n "$3" ]; then curl -sS -X "$1" -H "Authorization: bearer $TASKD_TASK_TOKEN" -H "Content-Type: application/json" -d "$3" -w " %{http_code}\\n" "$TASKD_API$2";',
    'else curl -sS -X "$1" -H "Authorization: bearer $TASKD_TASK_TOKEN" -w " %{http_code}\\n" "$TASKD_API$2"; fi;',
    '};',
  ].join(' ') + ' ';

export function parseApiLine(line: string): { status: number; body: any } {
  const at = line.lastIndexOf(' ');
  return { status: Number(line.slice(at + 1)), body: JSON.parse(line.slice(0, at)) };
}
