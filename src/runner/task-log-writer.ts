// A task's output lines, stored in batches — one INSERT per batch rather than per line, since a
// chatty task can print thousands of lines a second. The supervisor numbers the lines; a line
// told again (replayed after a restart of taskd) is stored once, by its number. A full store
// (disk full) is waited through, and a writer that falls behind says so, so that the runner holds
// the task's output back (backpressure) rather than buffering it without bound.
//
// Every batch is counted against the output budgets (core/output-budget.ts) before it is stored:
// the task's own bytes and lines, counted from what is stored (so a restart does not reset them),
// and its organization's bytes, read from the store every few seconds and counted on between.
// The first line over a budget is not stored; a last line saying why is, once, and nothing after.
import type { Kysely } from 'kysely';
import type { Database, TaskLogLinesTable } from '../store/schema.js';
import { insertLogLines, markOutputTruncated, organizationOutputBytes } from '../store/tasks/log-lines.js';
import type { OutputLine } from './supervisor-client.js';
import { isStorageFull } from '../store/errors.js';
import { admitLines, lineBytes, outputTruncatedLine, type OutputBudgetLimits, type OutputTruncation } from '../core/output-budget.js';
import { nowIso } from '../core/time.js';

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
/**
 * How often the organization's stored output is read again. Between reads the writer counts only
 * its own lines, so tasks of one org writing at once may pass its budget by what they store in
 * this time; a sum over the org's tasks per batch would cost far more than that overshoot.
 */
const ORGANIZATION_READ_MS = 2000;

/** What the writer counts against, and what it found stored (a task taken back after a restart). */
export interface TaskOutputBudget {
  limits: OutputBudgetLimits;
  organizationId: number;
  storedBytes: number;
  storedLines: number;
  /** The task's later output was already refused (before a restart): nothing more is stored. */
  truncated: OutputTruncation | null;
}

export interface TaskLogWriterEvents {
  onError: (err: unknown) => void;
  /** Called after each batch commits, so live readers on this node read on at once. */
  onWritten?: () => void;
  /** Told when the writer fills up (true: stop reading the task's output) and drains (false). */
  onFull?: (full: boolean) => void;
  /**
   * The task's output passed a budget: later output is dropped. `first` is false when the store
   * had already recorded it (told before a restart) or the task is gone.
   */
  onTruncated?: (reason: OutputTruncation, first: boolean) => void;
}

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
  private storedBytes: number;
  private storedLines: number;
  private truncated: OutputTruncation | null;
  private orgBytes = 0;
  private orgReadAt = -Infinity;
  /** Lines and bytes stored or waiting to be: past the task's own budget, no more are taken. */
  private takenLines: number;
  private takenBytes: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly taskId: number,
    private readonly budget: TaskOutputBudget,
    private readonly events: TaskLogWriterEvents,
  ) {
    this.storedBytes = budget.storedBytes;
    this.storedLines = budget.storedLines;
    this.truncated = budget.truncated;
    this.takenLines = budget.storedLines;
    this.takenBytes = budget.storedBytes;
  }

  write(lines: OutputLine[]): void {
    // Over budget: dropped as it comes, never held (the task is not made to wait for nothing).
    if (this.truncated) return;
    // Lines past the task's own budget are not even held: the first of them is taken (store()
    // refuses it and says why), the rest dropped here. A flood arrives far faster than batches
    // are stored, and holding it all until the budget was found spent cost seconds of the event loop.
    const { taskMaxLines, taskMaxBytes } = this.budget.limits;
    let taken = 0;
    for (const { seq, time, stream, text } of lines) {
      if (this.takenLines > taskMaxLines || this.takenBytes > taskMaxBytes) break;
      this.pending.push({ task_id: this.taskId, seq, time, stream, text });
      this.takenLines += 1;
      this.takenBytes += lineBytes(text);
      taken += 1;
    }
    this.queued += taken;
    if (!this.full && this.queued >= HIGH_WATER_LINES) {
      this.full = true;
      this.events.onFull?.(true);
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
    const pending = this.pending;
    this.pending = [];
    for (let from = 0; from < pending.length; from += MAX_BATCH) {
      const batch = pending.slice(from, from + MAX_BATCH);
      // Each batch waits its turn of the event loop: SQLite answers at once, so a chain of batches
      // would otherwise run as one piece (a flood's 100,000 lines held every request for 0.75 s).
      this.writing = this.writing.then(() => new Promise((resolve) => setImmediate(resolve))).then(() => this.store(batch));
    }
  }

  /** Stores what of one batch the budgets admit, and says so once when they refuse the rest. */
  private async store(batch: TaskLogLinesTable[]): Promise<void> {
    if (!this.truncated) {
      await this.readOrganization();
      const admitted = admitLines(
        this.budget.limits,
        { taskBytes: this.storedBytes, taskLines: this.storedLines, orgBytes: this.orgBytes },
        batch,
      );
      const kept = admitted.kept === batch.length ? batch : batch.slice(0, admitted.kept);
      if (kept.length && (await this.insert(kept, admitted.bytes))) {
        this.storedBytes += admitted.bytes;
        this.storedLines += kept.length;
        this.orgBytes += admitted.bytes;
      }
      if (admitted.refused) await this.truncate(admitted.refused, batch[admitted.kept]!.seq);
    }
    this.settle(batch.length);
  }

  /** Inserts lines; waits out a full store, and gives up (counting the lines lost) on anything else. */
  private async insert(lines: TaskLogLinesTable[], bytes: number): Promise<boolean> {
    const firstTry = Date.now();
    for (;;) {
      try {
        await insertLogLines(this.db, this.taskId, lines, bytes);
        this.events.onWritten?.();
        return true;
      } catch (err) {
        if (!isStorageFull(err) || Date.now() - firstTry >= FULL_GIVE_UP_MS) {
          this.lost += lines.length;
          this.events.onError(err);
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, FULL_RETRY_MS));
      }
    }
  }

  /** The org's stored output, read again once the last read is a few seconds old. */
  private async readOrganization(): Promise<void> {
    if (performance.now() - this.orgReadAt < ORGANIZATION_READ_MS) return;
    try {
      this.orgBytes = await organizationOutputBytes(this.db, this.budget.organizationId);
      this.orgReadAt = performance.now();
    } catch (err) {
      // Counted on from the last read; the next batch reads again.
      this.events.onError(err);
    }
  }

  /**
   * Nothing more of the task's output is stored: a last line (numbered as the first line refused,
   * which follows everything stored) says why, and lines still waiting are dropped.
   */
  private async truncate(reason: OutputTruncation, seq: number): Promise<void> {
    this.truncated = reason;
    this.settle(this.pending.length);
    this.pending = [];
    clearTimeout(this.timer);
    this.timer = undefined;
    const marker: TaskLogLinesTable = {
      task_id: this.taskId,
      seq,
      time: nowIso(),
      stream: 'stderr',
      text: outputTruncatedLine(reason, this.budget.limits),
    };
    let first = false;
    try {
      first = await markOutputTruncated(this.db, this.taskId, reason, marker);
      if (first) this.events.onWritten?.();
    } catch (err) {
      this.events.onError(err);
    }
    this.events.onTruncated?.(reason, first);
  }

  /** Lines stored, given up or dropped: the runner reads the task's output again once few wait. */
  private settle(lines: number): void {
    this.queued -= lines;
    if (this.full && this.queued <= LOW_WATER_LINES) {
      this.full = false;
      this.events.onFull?.(false);
    }
  }
}
