// A task's output as stored lines: split per stream at newlines, numbered from 1 in the order
// lines complete, timestamped when read, and written in batches — one INSERT per batch rather
// than per line, since a chatty task can print thousands of lines a second.
import type { Kysely } from 'kysely';
import type { Database, TaskLogLinesTable } from '../store/schema.js';
import { nowIso } from '../core/time.js';
import type { OutputStream } from './spawner.js';

/** Lines longer than this are stored in pieces, so one runaway line cannot grow without bound. */
const MAX_LINE_CHARS = 64 * 1024;
/** How long a line may wait for company before it is written. */
const FLUSH_DELAY_MS = 50;
/** A batch this big is written at once (5 columns each stays far below both stores' bind limits). */
const MAX_BATCH = 1000;

export class TaskLogWriter {
  private seq = 0;
  private readonly partial: Record<OutputStream, string> = { stdout: '', stderr: '' };
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

  write(stream: OutputStream, text: string): void {
    const pieces = (this.partial[stream] + text).split('\n');
    this.partial[stream] = pieces.pop()!;
    for (const line of pieces) this.add(stream, line);
    while (this.partial[stream].length > MAX_LINE_CHARS) {
      this.add(stream, this.partial[stream].slice(0, MAX_LINE_CHARS));
      this.partial[stream] = this.partial[stream].slice(MAX_LINE_CHARS);
    }
  }

  /** Keeps the final unterminated line of each stream and writes everything still buffered. */
  async close(): Promise<void> {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream] !== '') this.add(stream, this.partial[stream]);
      this.partial[stream] = '';
    }
    this.flush();
    await this.writing;
  }

  private add(stream: OutputStream, text: string): void {
    const pieces = text.length > MAX_LINE_CHARS ? chunk(text, MAX_LINE_CHARS) : [text];
    for (const piece of pieces) this.pending.push({ task_id: this.taskId, seq: ++this.seq, time: nowIso(), stream, text: piece });
    if (this.pending.length >= MAX_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_DELAY_MS);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    this.writing = this.writing
      .then(async () => {
        await this.db.insertInto('task_log_lines').values(batch).execute();
        this.onWritten();
      })
      .then(() => undefined, this.onError);
  }
}

function chunk(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
