// How task fields read on screen.
export interface Task {
  guid: string;
  name: string;
  command?: string;
  state: string;
  taskd_state?: string;
  created_at: string;
  updated_at: string;
  sequence_id: number;
  memory_in_mb: number;
  disk_in_mb: number;
  droplet_guid: string;
  result: { failure_reason: string | null };
  relationships: { app: { data: { guid: string } } };
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  progress: { percent: number; message: string | null } | null;
  latest_message: { seq: number; text: string; time: string } | null;
  parent_task_guid: string | null;
  timeout_in_seconds: number | null;
}

/** CF shows a paused task as RUNNING; the dashboard tells pausing and paused apart. */
export function stateOf(task: Task): string {
  const own = task.taskd_state;
  return own === 'PAUSED' || own === 'PAUSING' ? own : task.state;
}

export function timeOf(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** CF's time filters take whole seconds in UTC. */
export function cfSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A datetime-local field's value as a CF time. */
export function cfTime(local: string): string {
  return cfSeconds(new Date(local).getTime());
}

/** A time as a datetime-local field's value (the task list's "Created from" and "until"). */
export function localInput(ms: number): string {
  return new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

export const FINISHED_STATES = ['SUCCEEDED', 'FAILED'];

export function isFinished(task: Task): boolean {
  return FINISHED_STATES.includes(task.state);
}

/**
 * How long a task took, or has taken so far, in milliseconds. CF's task shows no start or end
 * time: a finished task's last update is its end, so this is from creation (queueing included)
 * to the end.
 */
export function durationMs(task: Task, now = Date.now()): number {
  const end = isFinished(task) ? Date.parse(task.updated_at) : now;
  return Math.max(0, end - Date.parse(task.created_at));
}

export function durationText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
