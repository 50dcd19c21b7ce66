// This process's memory: resident set size for what the host sees, and the V8 heap beside it, so
// that a growing RSS can be told apart as JavaScript objects (a leak in taskd's code) or memory
// outside the heap (SQLite's page cache, buffers of task output). The heap in use swings with
// garbage collection; what a full collection left is the live heap, the figure a leak grows.
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { renderGauge } from './exposition.js';

export class ProcessMemory {
  /** Heap in use just after the latest full (mark-sweep) collection; none before the first. */
  private liveHeapBytes?: number;
  private readonly gcObserver = new PerformanceObserver((entries) => {
    for (const entry of entries.getEntries()) {
      if ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)
        this.liveHeapBytes = getHeapStatistics().used_heap_size;
    }
  });

  constructor() {
    this.gcObserver.observe({ entryTypes: ['gc'] });
  }

  render(): string[] {
    const memory = process.memoryUsage();
    return [
      ...renderGauge('taskd_process_resident_memory_bytes', "This process's resident set size.", [{ value: memory.rss }]),
      ...renderGauge('taskd_process_heap_used_bytes', "Bytes of V8's JavaScript heap in use (garbage not yet collected included).", [
        { value: memory.heapUsed },
      ]),
      ...renderGauge(
        'taskd_process_heap_live_bytes',
        "Bytes of V8's JavaScript heap in use just after the latest full garbage collection (none before the first).",
        this.liveHeapBytes === undefined ? [] : [{ value: this.liveHeapBytes }],
      ),
      ...renderGauge('taskd_process_heap_total_bytes', 'Bytes V8 has reserved for its JavaScript heap.', [{ value: memory.heapTotal }]),
      ...renderGauge(
        'taskd_process_external_memory_bytes',
        'Bytes held outside the JavaScript heap by objects it refers to (buffers among them).',
        [{ value: memory.external }],
      ),
    ];
  }

  stop(): void {
    this.gcObserver.disconnect();
  }
}
