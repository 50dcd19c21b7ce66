// What a serving taskd leaves in its data directory (run/serving.json): its pid, where it serves
// and whether it runs tasks, so that a second start on the same directory can say which taskd
// holds it and where, rather than only that one does. Only a hint: the task supervisor's socket
// is what really keeps two taskds from running one directory's tasks.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ServingRecord {
  pid: number;
  url: string;
  runsTasks: boolean;
}

interface StoredRecord extends ServingRecord {
  /** When its process started (clock ticks since boot): a pid alone may have been reused since. */
  startedAt: number;
}

const recordFile = (dataDir: string) => path.join(dataDir, 'run', 'serving.json');

/**
 * Written whole (a temporary file renamed over it): a reader never sees half of it. A record that
 * cannot be written (a full disk) is only a hint lost: taskd serves on.
 */
export function recordServing(dataDir: string, record: ServingRecord): void {
  const file = recordFile(dataDir);
  const partial = `${file}.${process.pid}`;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const stored: StoredRecord = { ...record, startedAt: processStartedAt(process.pid) ?? -1 };
    writeFileSync(partial, `${JSON.stringify(stored)}\n`, { mode: 0o600 });
    renameSync(partial, file);
  } catch {
    // Without it, a second start is still refused (by the supervisor), only without the details.
  }
}

/** Removed on the way out, unless another process has recorded itself since. */
export function forgetServing(dataDir: string): void {
  if (readRecord(dataDir)?.pid === process.pid) rmSync(recordFile(dataDir), { force: true });
}

/**
 * The record of another taskd that serves this data directory now; none when there is no
 * record, or its process is gone (killed with kill -9, say) and its pid perhaps reused.
 */
export function otherServing(dataDir: string): ServingRecord | undefined {
  const record = readRecord(dataDir);
  if (!record || record.pid === process.pid || processStartedAt(record.pid) !== record.startedAt) return undefined;
  return { pid: record.pid, url: record.url, runsTasks: record.runsTasks };
}

function readRecord(dataDir: string): StoredRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(recordFile(dataDir), 'utf8')) as Partial<StoredRecord>;
    const { pid, url, runsTasks, startedAt } = parsed;
    if (!Number.isSafeInteger(pid) || pid! <= 0 || typeof url !== 'string' || !Number.isSafeInteger(startedAt)) return undefined;
    return { pid: pid!, url, runsTasks: runsTasks === true, startedAt: startedAt! };
  } catch {
    return undefined;
  }
}

/** The process's start time from /proc/<pid>/stat (field 22, after the command's parenthesis); none when it is gone. */
function processStartedAt(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isSafeInteger(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}
