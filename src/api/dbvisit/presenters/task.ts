// A task as Dbvisit shows it (specs/dialects.md §3.3, §5): the app is the "configuration", the
// task's integer id its task_id, its name the title, its messages the execution log.
import type { TaskView } from '../../../fetchers/task-query.js';
import type { TaskMessageRow } from '../../../store/schema.js';
import { dbvisitStateOf } from '../states.js';

export interface DbvisitTask {
  configuration_id: number;
  configuration_name: string;
  task_id: number;
  hidden_by: string;
  dismissed_by: string;
  finished: string;
  messages: { message: string; time: string }[];
  performed_by: string;
  started: string;
  state: string;
  title: string;
  updated: string;
}

/** Stored `YYYY-MM-DDThh:mm:ss.sssZ` as RFC 3339 with nanoseconds (Go's RFC3339Nano width, fixed). */
export const dbvisitTime = (stored: string): string => `${stored.slice(0, 23)}000000Z`;

/**
 * `finished` is "" until the task has finished. A finished task without a finish time (a row
 * written before taskd recorded one) shows its last update, when it last changed. `started` is ""
 * for a task that never started (still pending, or cancelled while waiting).
 */
export function presentDbvisitTask(task: TaskView, messages: readonly TaskMessageRow[]): DbvisitTask {
  const state = dbvisitStateOf(task);
  const finishedAt = task.finished_at ?? (state === 'In Progress' ? null : task.updated_at);
  // Who dismissed it: their username, or their guid when the user has none (or is gone).
  const dismisser = task.dismissed_by === null ? '' : (task.dismissed_by_name ?? task.dismissed_by);
  return {
    configuration_id: task.app_id,
    configuration_name: task.app_name,
    task_id: task.id,
    hidden_by: dismisser,
    dismissed_by: dismisser,
    finished: finishedAt === null ? '' : dbvisitTime(finishedAt),
    messages: messages.map((m) => ({ message: m.text, time: dbvisitTime(m.time) })),
    performed_by: task.created_by_name ?? '',
    started: task.started_at === null ? '' : dbvisitTime(task.started_at),
    state,
    title: task.name,
    updated: dbvisitTime(task.updated_at),
  };
}
