// CF's task object (spec §2), fields in CF's order. `command` is left out entirely — not replaced
// by a placeholder — where the caller may not see it.
import type { TaskRow } from '../../../store/schema.js';
import type { PresentedMetadata } from '../../../store/metadata.js';
import { toCfTime } from '../../../core/time.js';
import { presentMetadata } from './metadata.js';

/** A task row with what its presentation needs from its app and droplet. */
export type TaskWithRefs = TaskRow & { app_guid: string; droplet_exists: boolean };

export function presentTask(task: TaskWithRefs, metadata: PresentedMetadata | undefined, base: string, showCommand: boolean) {
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
    state: task.state,
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
  };
}
