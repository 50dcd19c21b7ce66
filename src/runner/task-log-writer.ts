// A task's output lines, stored in batches — one INSERT per batch rather than per line, since a
// chatty task can print thousands of lines a second. The supervisor numbers the lines; a line
// told again (replayed after a restart of taskd) is stored once, by its number.
import type { Kysely } from 'kysely';
import type { Database, TaskLogLinesTable } from '../store/schema.js';
import type { OutputLine } from './supervisor-client.js';

/** How long a line may wait for company before it is written. */
const FLUSH_DELAY_MS = 50;
/** A batch this big is written at once (5 columns each stays far below both stores' bind limits). */
const MAX_BATCH = 1000;

/** The number of the last line stored for a task: a reattached task's output goes on after it. */
export async function lastStoredSeq(db: Kysely<Database>, taskId: number): Promise<number> {
  const row = await db.selectFrom('task_log_lines').select((eb) => eb.fn.max('seq').as('seq')).where('task_id', '=', taskId).executeTakeFirst();
  return Number(row?.seq ?? 0);
}

export class TaskLogWriter {
  private pending: TaskLogLinesTable[] = [];
  private timer?: NodeJS.Timeout;
  /** Batches are written one after another so seq order is insert order. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly taskId: number,
    private readonly onError: (err: unknown) => void,
    /** Called after each batch commits, so live readers on this node read on at once. */
    private readonly onWritten: () => void = () => {},
  ) {}

  write(lines: OutputLine[]): void {
    for (const { seq, time, stream, text } of lines) this.pending.push({ task_id: this.taskId, seq, time, stream, text });
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
      this.writing = this.writing
        .then(async () => {
          await this.db.insertInto('task_log_lines').values(batch).onConflict((oc) => oc.columns(['task_id', 'seq']).doNothing()).execute();
          this.onWritten();
        })
        .then(() => undefined, this.onError);
    }
  }
}
