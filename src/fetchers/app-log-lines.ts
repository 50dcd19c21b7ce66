// An app's task output as one stream in time order: the envelopes of the log cache (api/logcache).
// The caller has already checked that the app is readable.
//
// Order and timestamps. Lines are stored with the millisecond they were read (task_log_lines.time);
// the stream orders them by (time, task_id, seq), and each gets a timestamp in nanoseconds that is
// unique in the app: its millisecond times 10^6 plus its rank among the app's lines of that
// millisecond. Log cache clients page on timestamps alone (the next read starts one nanosecond after
// the last envelope seen), so lines sharing a millisecond — a task's burst is stamped with one —
// would otherwise be lost at the edge of a page. A window's ends in nanoseconds therefore fall
// between two lines of a millisecond, and are turned into per-task positions (time, seq).
//
// Cost. Nothing reads all of an app's tasks or all of a task's lines:
// - The tasks that can hold lines of [start, end) are those that started before its end and
//   finished after its start (or still run). A task's lines lie within its run (with CLOCK_SLACK_MS
//   of slack for the clocks of the runner and its supervisor).
// - Ascending, they are visited in two groups: those running at the start (tasksRunningAt), then
//   those that started after it, oldest start first; descending, those running at the end, then
//   those that finished before it, latest finish first. Each visited task's lines in the window are
//   read by the index (task_id, time, seq), at most `limit` of them and only those that would still
//   make the answer; the visit stops as soon as the next task could only hold lines beyond the
//   `limit` already held (it started after the newest held line, or finished before the oldest).
// - So an answer costs about (tasks whose runs overlap the lines it returns) index reads. The one
//   linear cost left is tasksRunningAt for an instant deep inside a long task history: see there.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

/** Nanoseconds in a millisecond: the stored precision of a line's time. */
export const NS_PER_MS = 1_000_000n;

/** A window of the stream, in nanoseconds since the epoch: [start, end). */
export interface AppLogWindow {
  start: bigint;
  end: bigint;
  limit: number;
  descending: boolean;
}

export interface AppLogLine {
  taskId: number;
  taskName: string;
  seq: number;
  time: string;
  stream: string;
  text: string;
  /** Nanoseconds since the epoch, unique among the app's lines. */
  timestamp: bigint;
}

/** Lines stamped this far outside their task's started_at..finished_at are still found. */
const CLOCK_SLACK_MS = 5000;
/** Tasks read at a time while looking for the ones that ran in a window. */
const TASK_PAGE = 64;
/** Stored times run from 1970 to year 9999 (fixed-width ISO-8601); windows are clamped to that. */
const FIRST_MS = 0;
const LAST_MS = Date.parse('9999-12-31T23:59:59.999Z');
/** Seq bounds below and above every stored seq (an int4 column in PostgreSQL). */
const SEQ_BELOW = -1;
const SEQ_ABOVE = 2_147_483_647;

interface CandidateTask {
  id: number;
  name: string;
  started_at: string | null;
  finished_at: string | null;
}

interface Held {
  taskId: number;
  taskName: string;
  seq: number;
  time: string;
  stream: string;
  text: string;
}

/** A position in one task's lines, (time, seq). */
interface Position {
  time: string;
  seq: number;
}

/** Where a nanosecond instant falls: its millisecond, and how many of that millisecond's lines precede it. */
interface Instant {
  ms: number;
  rank: number;
}

const TASK_COLUMNS = ['id', 'name', 'started_at', 'finished_at'] as const;

export async function readAppLogLines(db: Kysely<Database>, appId: number, window: AppLogWindow): Promise<AppLogLine[]> {
  if (window.end <= window.start || window.limit < 1) return [];
  const start = instantOf(window.start);
  const end = instantOf(window.end);
  if (start.ms > LAST_MS || end.ms < FIRST_MS) return [];
  const reader = new WindowReader(db, appId, window.limit, window.descending);
  await reader.bound(clampStart(start), clampEnd(end));
  const held = window.descending ? await reader.readDescending() : await reader.readAscending();
  return reader.stamp(held);
}

/** floor(ns / 10^6) and the remainder, for negative instants too (the cf CLI sends Go's zero time). */
function instantOf(ns: bigint): Instant {
  let ms = ns / NS_PER_MS;
  if (ms * NS_PER_MS > ns) ms -= 1n;
  const rank = ns - ms * NS_PER_MS;
  // Beyond the stored range either way: clamped below, by Number's range first.
  const bounded = ms < -1n << 52n ? -(2 ** 52) : ms > 1n << 52n ? 2 ** 52 : Number(ms);
  return { ms: bounded, rank: Number(rank) };
}

const clampStart = (i: Instant): Instant => (i.ms < FIRST_MS ? { ms: FIRST_MS, rank: 0 } : i);
/** An end past the stored range keeps every line: rank 10^6 is past every rank of a millisecond. */
const clampEnd = (i: Instant): Instant => (i.ms > LAST_MS ? { ms: LAST_MS, rank: Number(NS_PER_MS) } : i);

const iso = (ms: number) => new Date(Math.min(Math.max(ms, FIRST_MS), LAST_MS)).toISOString();

/** (time, task, seq) order: the stream's. */
function compareLines(a: Held, b: Held): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.taskId !== b.taskId) return a.taskId - b.taskId;
  return a.seq - b.seq;
}

function comparePositions(a: Position, b: Position): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  return a.seq - b.seq;
}

/** The line a window's edge falls before, as (task, seq); undefined when it falls after all of its millisecond's lines. */
interface Edge {
  time: string;
  rank: number;
  line?: { taskId: number; seq: number };
}

class WindowReader {
  private startEdge!: Edge;
  private endEdge!: Edge;
  private held: Held[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly appId: number,
    private readonly limit: number,
    private readonly descending: boolean,
  ) {}

  /** Finds the lines the window's ends fall before, within their milliseconds. */
  async bound(start: Instant, end: Instant): Promise<void> {
    this.startEdge = await this.edgeAt(start);
    this.endEdge = await this.edgeAt(end);
  }

  private async edgeAt(instant: Instant): Promise<Edge> {
    const time = iso(instant.ms);
    if (instant.rank === 0 || instant.rank >= Number(NS_PER_MS)) return { time, rank: instant.rank };
    const tasks = await this.tasksRunningAt(instant.ms);
    if (!tasks.length) return { time, rank: instant.rank };
    const line = await this.db
      .selectFrom('task_log_lines')
      .select(['task_id', 'seq'])
      .where(
        'task_id',
        'in',
        tasks.map((t) => t.id),
      )
      .where('time', '=', time)
      .orderBy('task_id')
      .orderBy('seq')
      .limit(1)
      .offset(instant.rank)
      .executeTakeFirst();
    return { time, rank: instant.rank, line: line && { taskId: Number(line.task_id), seq: line.seq } };
  }

  /** The first position of task `taskId` inside the window (inclusive). */
  private lowerBound(taskId: number): Position {
    const { time, rank, line } = this.startEdge;
    if (rank === 0) return { time, seq: SEQ_BELOW };
    if (!line || taskId < line.taskId) return { time, seq: SEQ_ABOVE };
    return { time, seq: taskId === line.taskId ? line.seq : SEQ_BELOW };
  }

  /** The first position of task `taskId` past the window (exclusive). */
  private upperBound(taskId: number): Position {
    const { time, rank, line } = this.endEdge;
    if (rank === 0) return { time, seq: SEQ_BELOW };
    if (!line || taskId < line.taskId) return { time, seq: SEQ_ABOVE };
    return { time, seq: taskId === line.taskId ? line.seq : SEQ_BELOW };
  }

  async readAscending(): Promise<Held[]> {
    const startMs = Date.parse(this.startEdge.time);
    const endMs = Date.parse(this.endEdge.time);
    for (const task of await this.tasksRunningAt(startMs)) await this.visit(task);
    // Then the tasks that started after those, in order of their start, until none can do better.
    let after: { started_at: string; id: number } = { started_at: iso(startMs + CLOCK_SLACK_MS), id: Number.MAX_SAFE_INTEGER };
    const last = iso(endMs + CLOCK_SLACK_MS);
    for (;;) {
      const page = await this.db
        .selectFrom('tasks')
        .select(TASK_COLUMNS)
        .where('app_id', '=', this.appId)
        .where('started_at', '>=', after.started_at)
        .where('started_at', '<=', last)
        .where((eb) => eb.or([eb('started_at', '>', after.started_at), eb('id', '>', after.id)]))
        .orderBy('started_at')
        .orderBy('id')
        .limit(TASK_PAGE)
        .execute();
      for (const task of page) {
        const worst = this.full() ? this.held[this.limit - 1] : undefined;
        if (worst && Date.parse(task.started_at!) - CLOCK_SLACK_MS > Date.parse(worst.time)) return this.held;
        await this.visit(task);
      }
      if (page.length < TASK_PAGE) return this.held;
      const lastTask = page[page.length - 1]!;
      after = { started_at: lastTask.started_at!, id: Number(lastTask.id) };
    }
  }

  async readDescending(): Promise<Held[]> {
    const startMs = Date.parse(this.startEdge.time);
    const endMs = Date.parse(this.endEdge.time);
    for (const task of await this.tasksRunningAt(endMs)) await this.visit(task);
    // Then the tasks that finished before those, latest first, until none can do better.
    let before: { finished_at: string; id: number } = { finished_at: iso(endMs - CLOCK_SLACK_MS), id: -1 };
    const first = iso(startMs - CLOCK_SLACK_MS);
    for (;;) {
      const page = await this.db
        .selectFrom('tasks')
        .select(TASK_COLUMNS)
        .where('app_id', '=', this.appId)
        .where('finished_at', '<=', before.finished_at)
        .where('finished_at', '>=', first)
        .where((eb) => eb.or([eb('finished_at', '<', before.finished_at), eb('id', '<', before.id)]))
        .orderBy('finished_at', 'desc')
        .orderBy('id', 'desc')
        .limit(TASK_PAGE)
        .execute();
      for (const task of page) {
        const worst = this.full() ? this.held[this.limit - 1] : undefined;
        if (worst && Date.parse(task.finished_at!) + CLOCK_SLACK_MS < Date.parse(worst.time)) return this.held;
        await this.visit(task);
      }
      if (page.length < TASK_PAGE) return this.held;
      const lastTask = page[page.length - 1]!;
      before = { finished_at: lastTask.finished_at!, id: Number(lastTask.id) };
    }
  }

  private full(): boolean {
    return this.held.length >= this.limit;
  }

  /** Reads the task's lines that would make the answer, and keeps the best `limit` of all held. */
  private async visit(task: CandidateTask): Promise<void> {
    const taskId = Number(task.id);
    let from = this.lowerBound(taskId);
    let to = this.upperBound(taskId);
    const worst = this.full() ? this.held[this.limit - 1] : undefined;
    // Only lines that would displace the worst line held.
    if (worst && !this.descending) {
      const cut = { time: worst.time, seq: taskId < worst.taskId ? SEQ_ABOVE : taskId > worst.taskId ? SEQ_BELOW : worst.seq };
      if (comparePositions(cut, to) < 0) to = cut;
    }
    if (worst && this.descending) {
      const cut = { time: worst.time, seq: taskId < worst.taskId ? SEQ_ABOVE : taskId > worst.taskId ? SEQ_BELOW : worst.seq + 1 };
      if (comparePositions(cut, from) > 0) from = cut;
    }
    if (comparePositions(from, to) >= 0) return;
    const direction = this.descending ? 'desc' : 'asc';
    const rows = await this.db
      .selectFrom('task_log_lines')
      .select(['seq', 'time', 'stream', 'text'])
      .where('task_id', '=', taskId)
      // The plain range lets both stores seek the index; the pairs below trim its ends.
      .where('time', '>=', from.time)
      .where('time', '<=', to.time)
      .where((eb) => eb.or([eb('time', '>', from.time), eb('seq', '>=', from.seq)]))
      .where((eb) => eb.or([eb('time', '<', to.time), eb('seq', '<', to.seq)]))
      .orderBy('time', direction)
      .orderBy('seq', direction)
      .limit(this.limit)
      .execute();
    if (!rows.length) return;
    for (const r of rows) this.held.push({ taskId, taskName: task.name, seq: r.seq, time: r.time, stream: r.stream, text: r.text });
    this.held.sort(this.descending ? (a, b) => compareLines(b, a) : compareLines);
    if (this.held.length > this.limit) this.held.length = this.limit;
  }

  /**
   * The app's tasks that may hold lines of millisecond `ms`: started by then and finished since
   * (or still running), with the clocks' slack. Tasks still running are few (an app's running
   * tasks); the finished ones are found by stepping through two indexes at once — tasks finished
   * since `ms`, and tasks started by then — and taking whichever runs out first: near the present
   * the first is short, far in the past the second. Deep inside a long history both are long, and
   * this is the one read whose cost grows with the app's tasks (their index entries, not lines).
   */
  private async tasksRunningAt(ms: number): Promise<CandidateTask[]> {
    const since = iso(ms - CLOCK_SLACK_MS);
    const by = iso(ms + CLOCK_SLACK_MS);
    const running = await this.db
      .selectFrom('tasks')
      .select(TASK_COLUMNS)
      .where('app_id', '=', this.appId)
      .where('finished_at', 'is', null)
      .where('started_at', '<=', by)
      .execute();
    const finishedSince: CandidateTask[] = [];
    const startedBy: CandidateTask[] = [];
    let a: { at: string; id: number } | undefined;
    let b: { at: string; id: number } | undefined;
    for (;;) {
      const pageA = await this.db
        .selectFrom('tasks')
        .select(TASK_COLUMNS)
        .where('app_id', '=', this.appId)
        .where('finished_at', '>=', a?.at ?? since)
        .$if(a !== undefined, (q) => q.where((eb) => eb.or([eb('finished_at', '>', a!.at), eb('id', '>', a!.id)])))
        .orderBy('finished_at')
        .orderBy('id')
        .limit(TASK_PAGE)
        .execute();
      finishedSince.push(...pageA.filter((t) => t.started_at !== null && t.started_at <= by));
      if (pageA.length < TASK_PAGE) return [...running, ...finishedSince];
      const lastA = pageA[pageA.length - 1]!;
      a = { at: lastA.finished_at!, id: Number(lastA.id) };

      const pageB = await this.db
        .selectFrom('tasks')
        .select(TASK_COLUMNS)
        .where('app_id', '=', this.appId)
        .where('started_at', '<=', b?.at ?? by)
        .$if(b !== undefined, (q) => q.where((eb) => eb.or([eb('started_at', '<', b!.at), eb('id', '<', b!.id)])))
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(TASK_PAGE)
        .execute();
      startedBy.push(...pageB.filter((t) => t.finished_at !== null && t.finished_at >= since));
      if (pageB.length < TASK_PAGE) return [...running, ...startedBy];
      const lastB = pageB[pageB.length - 1]!;
      b = { at: lastB.started_at!, id: Number(lastB.id) };
    }
  }

  /**
   * Timestamps: each line's millisecond and its rank among the app's lines of that millisecond.
   * Every millisecond of the answer holds all of the app's lines of it in the window, except at
   * the answer's oldest edge: there lines before the window's start, or (descending, a full
   * answer) older lines beyond the limit, come first, and are counted.
   */
  async stamp(held: Held[]): Promise<AppLogLine[]> {
    if (!held.length) return [];
    const ascending = this.descending ? [...held].reverse() : held;
    const oldest = ascending[0]!;
    let base = 0;
    if (this.descending && held.length >= this.limit) base = await this.countBefore(oldest);
    else if (oldest.time === this.startEdge.time && this.startEdge.line) base = this.startEdge.rank;
    const out: AppLogLine[] = [];
    let rank = 0;
    for (let i = 0; i < ascending.length; i++) {
      const line = ascending[i]!;
      if (i === 0) rank = base;
      else rank = line.time === ascending[i - 1]!.time ? rank + 1 : 0;
      const timestamp = BigInt(Date.parse(line.time)) * NS_PER_MS + BigInt(rank);
      out.push({ ...line, timestamp });
    }
    return this.descending ? out.reverse() : out;
  }

  /** How many of the app's lines share the line's millisecond and come before it. */
  private async countBefore(line: Held): Promise<number> {
    const tasks = await this.tasksRunningAt(Date.parse(line.time));
    const ids = tasks.map((t) => Number(t.id)).filter((id) => id <= line.taskId);
    if (!ids.length) return 0;
    const row = await this.db
      .selectFrom('task_log_lines')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('task_id', 'in', ids)
      .where('time', '=', line.time)
      .where((eb) => eb.or([eb('task_id', '<', line.taskId), eb('seq', '<', line.seq)]))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
