// This process's memory, read at scrape time: resident set size for what the host sees, and the
// V8 heap beside it, so that a growing RSS can be told apart as JavaScript objects (a leak in
// taskd's code) or memory outside the heap (SQLite's page cache, buffers of task output).
import { renderGauge } from './exposition.js';

export function renderProcessMemory(): string[] {
  const memory = process.memoryUsage();
  return [
    ...renderGauge('taskd_process_resident_memory_bytes', "This process's resident set size.", [{ value: memory.rss }]),
    ...renderGauge('taskd_process_heap_used_bytes', "Bytes of V8's JavaScript heap in use (garbage not yet collected included).", [{ value: memory.heapUsed }]),
    ...renderGauge('taskd_process_heap_total_bytes', "Bytes V8 has reserved for its JavaScript heap.", [{ value: memory.heapTotal }]),
    ...renderGauge('taskd_process_external_memory_bytes', 'Bytes held outside the JavaScript heap by objects it refers to (buffers among them).', [{ value: memory.external }]),
  ];
}
