// The limits a task asked for (or was given by default at create), as the task supervisor enforces
// them: see limits/task-limits.mjs. Server-wide settings (process count, grace) join them in the
// supervisor.
import type { TaskRow } from '../../store/schema.js';

export interface TaskLimitsRequest {
  /** Bytes per second of output; -1 is unlimited. */
  logRate: number;
  memoryMb: number;
  diskMb: number;
  timeoutSeconds: number | null;
}

/** Every limit the helper enforces on one task. */
export interface EnforcedLimits extends TaskLimitsRequest {
  maxProcesses: number;
  /** Between SIGTERM and SIGKILL when the timeout ends a task, as for a cancel. */
  graceSeconds: number;
  /** CPU cores the task may use at most (its cgroup's quota). */
  cpuCores: number;
}

export type ServerLimits = Pick<EnforcedLimits, 'maxProcesses' | 'graceSeconds' | 'cpuCores'>;

export function limitsOfTask(task: Pick<TaskRow, 'log_rate_limit' | 'memory_in_mb' | 'disk_in_mb' | 'timeout_seconds'>): TaskLimitsRequest {
  return {
    logRate: Number(task.log_rate_limit),
    memoryMb: task.memory_in_mb,
    diskMb: task.disk_in_mb,
    timeoutSeconds: task.timeout_seconds,
  };
}
