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
  latest_message: { text: string; time: string } | null;
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
export function cfTime(local: string): string {
  return new Date(local).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
