// A task's output lines, stored in batches — one INSERT per batch rather than per line, since a
// chatty task can print thousands of lines a second. The supervisor numbers the lines; a line
// told again (replayed after a restart of taskd) is stored once, by its number. A full store
// (disk full) is waited through, and a writer that falls behind says so, so that the runner holds
// the task's output back (backpressure) rather than buffering it without bound.
import type { Kysely } from 'kysely';
import type { Database, TaskLogLinesTable } from '../store/schema.js';
import { insertLogLines } from '../store/tasks/log-lines.js';
import type { OutputLine } from './supervisor-client.js';
import { isStorageFull } from '../store/errors.js';

/** How long a line may wait for company before it is written. */
const FLUSH_DELAY_MS = 50;
/** A batch this big is written at once (5 columns each stays far below both stores' bind limits). */
const MAX_BATCH = 1000;

/**
 * Lines waiting to be stored above which the writer says it is full: the runner then asks the
 * supervisor to stop reading the task's output until it has drained below LOW_WATER_LINES, so a
 * task printing faster than the store takes its lines waits for it (its writes block on a full
 * pipe) instead of growing taskd's memory without bound.
 */
export const HIGH_WATER_LINES = 5000;
const LOW_WATER_LINES = 1000;
/** A store out of space is retried this often, so output waits through a full disk and is kept. */
const FULL_RETRY_MS = 1000;
/** How long lines wait for space before they are given up (and counted lost). */
const FULL_GIVE_UP_MS = 10 * 60 * 1000;

export class TaskLogWriter {
  private pending: TaskLogLinesTable[] = [];
  private timer?: NodeJS.Timeout;
  /** Batches are written one after another so seq order is insert order. */
  private writing: Promise<void> = Promise.resolve();
  /** Lines taken and not yet stored (or given up). */
  private queued = 0;
  private full = false;
  /** Lines that could not be stored. */
  lost = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly taskId: number,
    private readonly onError: (err: unknown) => void,
    /** Called after each batch commits, so live readers on this node read on at once. */
    private readonly onWritten: () => void = () => {},
    /** Told when the writer fills up (true: stop reading the task's output) and drains (false). */
    private readonly onFull: (full: boolean) => void = () => {},
  ) {}

  write(lines: OutputLine[]): void {
    for (const { seq, time, stream, text } of lines) this.pending.push({ task_id: this.taskId, seq, time, stream, text });
    this.queued += lines.length;
    if (!this.full && this.queued >= HIGH_WATER_LINES) {
      this.full = true;
      this.onFull(true);
    }
    if (this.pending.length >= MAX_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_DELAY_MS);
  }

  /** Writes everything still buffered. */
  async close(): Promise<void> {
    this.flush();
    await this.writing;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length) {
      const batch = this.pending.splice(0, MAX_BATCH);
      this.writing = this.writing.then(() => this.store(batch));
    }
  }

  /** Stores one batch; waits out a full store, and gives up (counting the lines lost) on anything else. */
  private async store(batch: TaskLogLinesTable[]): Promise<void> {
    const firstTry = Date.now();
    for (;;) {
      try {
        await insertLogLines(this.db, batch);
        this.onWritten();
        break;
      } catch (err) {
        if (!isStorageFull(err) || Date.now() - firstTry >= FULL_GIVE_UP_MS) {
          this.lost += batch.length;
          this.onError(err);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, FULL_RETRY_MS));
      }
    }
    this.queued -= batch.length;
    if (this.full && this.queued <= LOW_WATER_LINES) {
      this.full = false;
      this.onFull(false);
    }
  }
}
