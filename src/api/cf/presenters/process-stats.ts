// CF's process stats (ProcessStatsPresenter). taskd keeps no long-running instances and its apps
// are never started, so it answers as Cloud Controller does for a process whose app is stopped:
// Diego knows no LRP for it, and each of the `instances` it asks for is reported DOWN, with
// uptime 0 (InstancesStatsReporter#handle_no_running_instances). A process of 0 instances has
// no entries.
import type { ProcessRow } from '../../../store/schema.js';

export function presentProcessStats(process: Pick<ProcessRow, 'type' | 'instances'>) {
  return {
    resources: Array.from({ length: process.instances }, (_, index) => ({
      type: process.type,
      index,
      state: 'DOWN',
      routable: null,
      uptime: 0,
      isolation_segment: null,
      details: null,
    })),
  };
}

/**
 * CC's `embed=process_instances`: each instance's index and state (EmbedProcessInstancesDecorator),
 * placed just before the process's relationships. `since` is null: no instance is running.
 */
export function withProcessInstances<T extends Record<string, unknown>>(presented: T, process: Pick<ProcessRow, 'type' | 'instances'>) {
  const instances = presentProcessStats(process).resources.map((r) => ({ index: r.index, state: r.state, since: null }));
  const entries = Object.entries(presented);
  const at = entries.findIndex(([key]) => key === 'relationships');
  entries.splice(at < 0 ? entries.length : at, 0, ['process_instances', instances]);
  return Object.fromEntries(entries) as T & { process_instances: typeof instances };
}
