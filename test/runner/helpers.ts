// Helpers for runner tests: an app whose droplet holds known files, tasks created through the
// real API, and polling of the store until a task reaches a state (never timed assertions).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Harness } from '../support/harness.js';
import type { TaskRow } from '../../src/store/schema.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';
import { isTerminal } from '../../src/core/task-states.js';
import { sandboxInForce } from '../../src/runner/sandbox/detect.js';
import { taskDirsRoot, taskHostUser } from '../../src/runner/task-user.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An org, a space and an app with a staged current droplet (holding app/run.sh, …). */
export async function runnableApp(h: Harness, environmentVariables?: Record<string, string>) {
  const org = await h.org();
  const space = await h.space(org.guid);
  const { app, droplet } = await appWithCurrentDroplet(h, space.guid);
  if (environmentVariables) {
    const res = await h.patch(`/v3/apps/${app.guid}/environment_variables`, { var: environmentVariables });
    assert.equal(res.status, 200, res.text);
  }
  return { org, space, app, droplet };
}

/** Creates a task through POST /v3/apps/:guid/tasks. */
export async function createTask(h: Harness, appGuid: string, command: string, extra: Record<string, unknown> = {}): Promise<any> {
  const res = await h.post(`/v3/apps/${appGuid}/tasks`, { command, ...extra });
  assert.equal(res.status, 202, res.text);
  return res.body;
}

export function taskRow(h: Harness, guid: string): Promise<TaskRow | undefined> {
  return h.db.selectFrom('tasks').selectAll().where('guid', '=', guid).executeTakeFirst();
}

/** Polls the task's row until `done` holds; fails after `timeoutMs`. */
export async function waitForTask(
  h: Harness,
  guid: string,
  done: (t: TaskRow) => boolean = (t) => isTerminal(t.state),
  timeoutMs = 20_000,
): Promise<TaskRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await taskRow(h, guid);
    if (row && done(row)) return row;
    if (Date.now() > deadline) throw new Error(`task ${guid} did not get there in ${timeoutMs} ms; last row: ${JSON.stringify(row)}`);
    await sleep(20);
  }
}

/** Polls until `check` returns true; fails after `timeoutMs`. */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

export async function outputOf(h: Harness, taskId: number): Promise<{ seq: number; stream: string; text: string }[]> {
  return h.db.selectFrom('task_log_lines').select(['seq', 'stream', 'text']).where('task_id', '=', taskId).orderBy('seq').execute();
}

/**
 * The live processes of a process group: state letter and CPU ticks (utime + stime). Zombies do
 * not count: a task's orphaned children are reaped by PID 1, which in some containers takes its time.
 */
export function groupProcesses(pgid: number): { state: string; cpu: number }[] {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command: state (3), ppid, pgrp (5), …, utime (14), stime (15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X')
      found.push({ state: fields[0]!, cpu: Number(fields[11]) + Number(fields[12]) });
  }
  return found;
}

/** Whether any live process is in the process group. */
export const groupAlive = (pgid: number): boolean => groupProcesses(pgid).length > 0;

/**
 * The id of a task's process group on this host, once the task has printed its first line
 * (`echo $$; …`). Unsandboxed that is the shell's pid, which it printed; in the sandbox `$$` is
 * a pid of the task's own namespace, so the group is found from the host's /proc instead: the
 * group of the process whose environment names the task.
 */
export async function shellPidOf(h: Harness, guid: string): Promise<number> {
  let printed = 0;
  await eventually('the task printed its pid', async () => {
    const row = await taskRow(h, guid);
    const first = row ? (await outputOf(h, row.id))[0] : undefined;
    printed = first ? Number(first.text) : 0;
    return printed > 0;
  });
  if (!isSandboxed(h)) return printed;
  let pgid: number | undefined;
  await eventually("the task's process group is found", async () => {
    pgid = hostGroupOfTask(guid);
    if (pgid) return true;
    // A task that ended before it was seen left no group to find (none of its processes is
    // left: the scan found none); a pid no process has stands for it.
    const row = await taskRow(h, guid);
    return row !== undefined && isTerminal(row.state);
  });
  return pgid ?? NO_PROCESS;
}

/** Above Linux's pid_max (2^22): no group has it. */
const NO_PROCESS = 2 ** 23;

/** Whether the harness's tasks run in bubblewrap. */
export function isSandboxed(h: Harness): boolean {
  return sandboxInForce(h.config.sandbox).kind === 'bwrap';
}

/** A task's working directory on the host (under /run/taskd when taskd is root: see task-user.ts). */
export function hostWorkDir(h: Harness, guid: string): string {
  return path.join(taskDirsRoot(h.config.dataDir, taskHostUser(h.config)), guid);
}

/** The working directory as the task sees it: CF's /home/vcap/app in the sandbox. */
export function seenWorkDir(h: Harness, guid: string): string {
  return isSandboxed(h) ? '/home/vcap/app' : hostWorkDir(h, guid);
}

/** Host pids of the processes whose environment names the task (its shell, what it started, and bwrap). */
export function hostPidsOfTask(guid: string): number[] {
  const marker = `\0TASKD_TASK_GUID=${guid}\0`;
  return readdirSync('/proc')
    .filter((name) => {
      try {
        return /^\d+$/.test(name) && `\0${readFileSync(`/proc/${name}/environ`, 'latin1')}`.includes(marker);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

function hostGroupOfTask(guid: string): number | undefined {
  for (const pid of hostPidsOfTask(guid)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    } catch {
      continue;
    }
  }
  return undefined;
}

/** Inserts a task row directly (for states the API cannot produce), shaped as create writes it. */
export async function insertTask(
  h: Harness,
  appGuid: string,
  values: { state: string; runner_id?: string | null; command?: string; cancel_requested_at?: string },
): Promise<TaskRow> {
  const app = await h.db
    .selectFrom('apps')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .innerJoin('droplets', 'droplets.id', 'apps.current_droplet_id')
    .select(['apps.id', 'apps.space_id', 'spaces.organization_id', 'apps.next_task_sequence_id', 'droplets.guid as droplet_guid'])
    .where('apps.guid', '=', appGuid)
    .executeTakeFirstOrThrow();
  await h.db
    .updateTable('apps')
    .set({ next_task_sequence_id: app.next_task_sequence_id + 1 })
    .where('id', '=', app.id)
    .execute();
  const now = new Date().toISOString();
  return h.db
    .insertInto('tasks')
    .values({
      guid: randomUUID(),
      app_id: app.id,
      space_id: app.space_id,
      organization_id: app.organization_id,
      sequence_id: app.next_task_sequence_id,
      name: randomUUID().slice(0, 8),
      command: values.command ?? 'sleep 300',
      user: null,
      state: values.state,
      memory_in_mb: 1024,
      disk_in_mb: 1024,
      log_rate_limit: -1,
      droplet_guid: app.droplet_guid,
      failure_reason: null,
      exit_status: null,
      timeout_seconds: null,
      created_by: null,
      runner_id: values.runner_id ?? null,
      started_at: values.state === 'PENDING' ? null : now,
      finished_at: null,
      cancel_requested_at: values.cancel_requested_at ?? null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}
