// What this taskd process measures as it goes: how its runner's tasks ended and how long its
// HTTP requests took. Counts that the store keeps (tasks by state) are read at scrape time
// instead (src/api/metrics.ts), so every node reports the same cluster-wide figures for them.
import type { RecordedTaskEnd } from '../signals/task-signals.js';
import { Counter, Histogram } from './exposition.js';

/** From a tenth of a second to an hour: tasks run from quick scripts to long batch jobs. */
const TASK_DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The route label of requests that matched no route: raw URLs would make unbounded series. */
export const UNMATCHED_ROUTE = 'unmatched';

export class NodeMetrics {
  private readonly taskDuration = new Histogram(
    'taskd_task_duration_seconds',
    "Time from a task's start to its recorded end, for tasks this node ran, by final state.",
    ['state'],
    TASK_DURATION_BUCKETS,
  );
  private readonly logBytesDropped = new Counter(
    'taskd_task_log_bytes_dropped_total',
    "Bytes of task output dropped over the tasks' log rate limits, counted as this node's tasks end.",
  );
  private readonly outputTruncatedTasks = new Counter(
    'taskd_task_output_truncated_total',
    "Tasks of this node whose later output was not kept, by the budget they passed: the task's bytes or lines, or its organization's bytes.",
    ['reason'],
  );
  private readonly httpDuration = new Histogram(
    'taskd_http_request_duration_seconds',
    'Time to answer HTTP requests, by method, route pattern and status code.',
    ['method', 'route', 'status'],
    HTTP_DURATION_BUCKETS,
  );

  constructor() {
    // 0 is an answer: each reason's series exists before its first task.
    for (const reason of ['bytes', 'lines', 'organization']) this.outputTruncatedTasks.inc(0, { reason });
  }

  taskEnded(end: RecordedTaskEnd): void {
    if (end.logBytesDropped > 0) this.logBytesDropped.inc(end.logBytesDropped);
    // A task recorded without a start (none is known) has no duration to tell.
    if (end.startedAt === null) return;
    const seconds = (Date.parse(end.finishedAt) - Date.parse(end.startedAt)) / 1000;
    if (Number.isFinite(seconds)) this.taskDuration.observe(Math.max(0, seconds), { state: end.state });
  }

  /** @param reason 'bytes', 'lines' or 'organization' */
  outputTruncated(reason: string): void {
    this.outputTruncatedTasks.inc(1, { reason });
  }

  /** @param route the route's pattern (e.g. /v3/tasks/:guid), or UNMATCHED_ROUTE */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe(seconds, { method, route, status: String(status) });
  }

  render(): string[] {
    return [
      ...this.taskDuration.render(),
      ...this.logBytesDropped.render(),
      ...this.outputTruncatedTasks.render(),
      ...this.httpDuration.render(),
    ];
  }
}
