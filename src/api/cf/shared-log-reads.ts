// The live streams of one task on this node share their reads of the store. Each stream read the
// task's end and its lines after its last one whenever a line was announced or a second passed:
// fifty clients following one task that prints a line a second cost a hundred queries a second
// (issue 17's noisy tenant holds fifty streams on its own task; on PostgreSQL every query is a
// round trip on the event loop everyone else waits for). Now the streams that ask for the same
// lines at the same moment get one read between them: a caught-up stream asks for the lines after
// the same last one as its peers, woken by the same announcement or poll.
//
// A read is shared only with streams that heard nothing newer than it did: each announcement
// (lines written, the task ended) moves the task's generation on, and a read started before it
// cannot hold what it announced, so a stream woken by it reads anew.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { getTaskEnd, listTaskLogLines, type TaskEnd, type TaskLogLine } from '../../fetchers/task-logs.js';

export interface LogRead {
  /** The task's end, null while it runs, 'gone' once it is deleted; read before the lines. */
  end: TaskEnd | null | 'gone';
  lines: TaskLogLine[];
}

interface FollowedTask {
  followers: number;
  generation: number;
  /** Reads under way, by the generation they started in and the line they read after. */
  reads: Map<string, Promise<LogRead>>;
}

export class SharedLogReads {
  private readonly tasks = new Map<number, FollowedTask>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly batchLines: number,
  ) {}

  /** A stream starts following the task; `unfollow` when it ends. */
  follow(taskId: number): void {
    const task = this.tasks.get(taskId);
    if (task) task.followers += 1;
    else this.tasks.set(taskId, { followers: 1, generation: 0, reads: new Map() });
  }

  unfollow(taskId: number): void {
    const task = this.tasks.get(taskId);
    if (task && --task.followers === 0) this.tasks.delete(taskId);
  }

  /** Something new of the task was announced: reads started before now are not shared any more. */
  announce(taskId: number): void {
    const task = this.tasks.get(taskId);
    if (task) task.generation += 1;
  }

  /** The task's generation now: what a stream has heard of, to pass to read(). */
  generationOf(taskId: number): number {
    return this.tasks.get(taskId)?.generation ?? 0;
  }

  /** The task's end and up to a batch of its lines after `afterSeq`, read once for every stream that asks alike. */
  read(taskId: number, afterSeq: number, generation: number): Promise<LogRead> {
    const task = this.tasks.get(taskId);
    if (!task) return this.readStore(taskId, afterSeq);
    const key = `${generation}:${afterSeq}`;
    let read = task.reads.get(key);
    if (!read) {
      read = this.readStore(taskId, afterSeq).finally(() => task.reads.delete(key));
      task.reads.set(key, read);
    }
    return read;
  }

  private async readStore(taskId: number, afterSeq: number): Promise<LogRead> {
    // The end before the lines: once it is seen, the lines read next are the last ones.
    const end = await getTaskEnd(this.db, taskId);
    const lines = await listTaskLogLines(this.db, taskId, afterSeq, this.batchLines);
    return { end, lines };
  }
}
