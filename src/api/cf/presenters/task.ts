// CF's task object (spec §2), fields in CF's order, then taskd's extension fields. `command` is left out entirely — not replaced
// by a placeholder — where the caller may not see it.
import type { PresentedMetadata } from '../../../store/metadata.js';
import type { TaskRow } from '../../../store/schema.js';
import type { TaskView } from '../../../fetchers/task-query.js';
import { toCfTime } from '../../../core/time.js';
import { cfStateOf } from '../states.js';
import { presentMetadata } from './metadata.js';

/** What CF shows of a task: its row and, of its view, its app, whether its droplet still exists, its latest message. */
export type CfTask = TaskRow &
  Pick<TaskView, 'app_guid' | 'droplet_exists' | 'latest_message_text' | 'latest_message_time' | 'latest_message_source'>;

export function presentTask(task: CfTask, metadata: PresentedMetadata | undefined, base: string, showCommand: boolean) {
  const self = `${base}/v3/tasks/${task.guid}`;
  return {
    guid: task.guid,
    created_at: toCfTime(task.created_at),
    updated_at: toCfTime(task.updated_at),
    sequence_id: task.sequence_id,
    name: task.name,
    ...(showCommand ? { command: task.command } : {}),
    // Buildpack droplets (taskd's only kind) run as vcap unless the task names a user; once the
    // droplet is gone the stored value is all there is.
    user: task.droplet_exists ? (task.user ?? 'vcap') : task.user,
    // CF has no pause: a PAUSING or PAUSED task is RUNNING to CF clients (taskd_state tells).
    state: cfStateOf(task.state),
    memory_in_mb: task.memory_in_mb,
    disk_in_mb: task.disk_in_mb,
    log_rate_limit_in_bytes_per_second: task.log_rate_limit,
    result: { failure_reason: task.failure_reason },
    droplet_guid: task.droplet_guid,
    relationships: { app: { data: { guid: task.app_guid } } },
    metadata: presentMetadata(metadata),
    links: {
      self: { href: self },
      app: { href: `${base}/v3/apps/${task.app_guid}` },
      cancel: { href: `${self}/actions/cancel`, method: 'POST' },
      droplet: { href: `${base}/v3/droplets/${task.droplet_guid}` },
    },
    // taskd extensions, after all of CF's fields (spec §11).
    progress: task.progress_percent === null ? null : { percent: task.progress_percent, message: task.progress_message },
    latest_message:
      task.latest_message_text == null
        ? null
        : { seq: task.message_count, time: task.latest_message_time, source: task.latest_message_source, text: task.latest_message_text },
    parent_task_guid: task.parent_task_guid,
    timeout_in_seconds: task.timeout_seconds,
    // The state as taskd keeps it, pause included; `state` is CF's view of it.
    taskd_state: task.state,
  };
}
