// The tasks a crash trial runs and the clients that create and cancel them. Each task first
// appends its shell's pid to its marker file (markers/<task guid>, outside taskd's data
// directory), so a task run twice leaves two lines and its process group can be found; tasks
// that print slowly also write how many lines they have printed so far (<guid>.printed), which
// the check reads just before the kill: those lines must all be in the task's log afterwards.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TaskdClient } from './http.js';
import { sleep } from '../support/taskd-process.js';

export type TaskKind = 'short' | 'long' | 'big' | 'stubborn';

export interface TaskSpec {
  kind: TaskKind;
  command: string;
  /** The exit status it ends with when left alone. */
  exitStatus: number;
  /** How many lines it prints when left alone. */
  lines: number;
  /** The text of line n (from 1). */
  text(n: number): string;
}

export interface TaskSizes {
  /** Lines of the big-output task (`seq 1 N`). */
  bigLines: number;
  /** Lines of the slow printers (one each 50 ms, or 100 ms for the one that ignores SIGTERM). */
  longLines: number;
  stubbornLines: number;
}

/** Makes the command of each kind of task, all writing their markers to `markers`. */
export function taskSpec(kind: TaskKind, markers: string, sizes: TaskSizes, rng: () => number): TaskSpec {
  const mark = `echo $$ >> '${markers}'/"$TASKD_TASK_GUID"`;
  const counted = (label: string, lines: number, pause: string, prologue = '') =>
    `${prologue}${mark}; i=1; while [ $i -le ${lines} ]; do echo "${label} $i"; echo $i > '${markers}'/"$TASKD_TASK_GUID.printed"; i=$((i+1)); sleep ${pause}; done`;
  switch (kind) {
    case 'short': {
      const exitStatus = Math.floor(rng() * 3);
      return {
        kind,
        command: `${mark}; echo "short 1"; echo "short 2"; exit ${exitStatus}`,
        exitStatus,
        lines: 2,
        text: (n) => `short ${n}`,
      };
    }
    case 'long':
      return { kind, command: counted('long', sizes.longLines, '0.05'), exitStatus: 0, lines: sizes.longLines, text: (n) => `long ${n}` };
    case 'big':
      return { kind, command: `${mark}; seq 1 ${sizes.bigLines}`, exitStatus: 0, lines: sizes.bigLines, text: (n) => String(n) };
    case 'stubborn':
      // SIG_IGN is inherited through exec: the whole group ignores SIGTERM; only SIGKILL ends it.
      return {
        kind,
        command: counted('stubborn', sizes.stubbornLines, '0.1', "trap '' TERM; "),
        exitStatus: 0,
        lines: sizes.stubbornLines,
        text: (n) => `stubborn ${n}`,
      };
  }
}

export interface CreatedTask {
  guid: string;
  sequenceId: number;
  spec: TaskSpec;
  /** A cancel of it was sent (answered or not). */
  cancelSent: boolean;
  /** A cancel of it was answered 202. */
  cancelAcked: boolean;
}

export interface WorkloadMix {
  /** Most tasks a trial creates. */
  maxTasks: number;
  /** Most big-output tasks a trial creates (each is heavy on the store). */
  maxBig: number;
  sizes: TaskSizes;
  /** Concurrent clients. */
  clients: number;
  /** The share of tasks cancelled soon after their create. */
  cancelShare: number;
}

/** Clients creating a mix of tasks and cancelling some, over HTTP, until stopped or all are made. */
export class Workload {
  readonly created: CreatedTask[] = [];
  /** Creates that got no answer (in flight at the kill) or an error status, by what happened. */
  readonly unacknowledged: Record<string, number> = {};
  private stopped = false;
  private loops: Promise<void>[] = [];
  /** Cancel requests in flight (some still are when the kill comes). */
  private readonly cancelsInFlight = new Set<Promise<boolean>>();
  private bigMade = 0;
  private pendingCreates = 0;

  constructor(
    private readonly client: TaskdClient,
    private readonly appGuid: string,
    private readonly markers: string,
    private readonly mix: WorkloadMix,
    private readonly rng: () => number,
  ) {}

  start(): void {
    for (let i = 0; i < this.mix.clients; i++) this.loops.push(this.loop());
  }

  /** Stops the clients and waits for their requests in flight to be answered or to fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    await Promise.all([...this.cancelsInFlight]);
  }

  private async loop(): Promise<void> {
    while (!this.stopped && this.created.length + this.pendingCreates < this.mix.maxTasks) {
      await this.create();
      await sleep(10 + this.rng() * 150);
    }
  }

  private pickKind(): TaskKind {
    const r = this.rng();
    if (r < 0.1 && this.bigMade < this.mix.maxBig) {
      this.bigMade++;
      return 'big';
    }
    return r < 0.5 ? 'short' : r < 0.75 ? 'long' : 'stubborn';
  }

  private async create(): Promise<void> {
    const spec = taskSpec(this.pickKind(), this.markers, this.mix.sizes, this.rng);
    this.pendingCreates++;
    const res = await this.client.tryRequest('POST', `/v3/apps/${this.appGuid}/tasks`, { command: spec.command });
    this.pendingCreates--;
    if (res?.status === 202) {
      const task: CreatedTask = { guid: res.body.guid, sequenceId: res.body.sequence_id, spec, cancelSent: false, cancelAcked: false };
      this.created.push(task);
      // About a third are cancelled a moment later: before they start, while they run, or as they end.
      if (this.rng() < this.mix.cancelShare) {
        void sleep(this.rng() * 2000).then(() => (this.stopped ? undefined : this.cancel(task)));
      }
    } else {
      const what = res ? `answered ${res.status}` : 'no answer';
      this.unacknowledged[what] = (this.unacknowledged[what] ?? 0) + 1;
    }
  }

  /** Cancels the task (through `client`: the restarted taskd's, after the kill). */
  async cancel(task: CreatedTask, client = this.client): Promise<boolean> {
    task.cancelSent = true;
    const request = client.tryRequest('POST', `/v3/tasks/${task.guid}/actions/cancel`, {}).then((res) => {
      if (res?.status === 202) task.cancelAcked = true;
      return res?.status === 202;
    });
    this.cancelsInFlight.add(request);
    void request.finally(() => this.cancelsInFlight.delete(request));
    return request;
  }
}

/** How many lines of its marker file a task wrote (how many times it started), and its pid (its process group). */
export function markerOf(markers: string, guid: string): { starts: number; pid?: number } {
  let text: string;
  try {
    text = readFileSync(path.join(markers, guid), 'utf8');
  } catch {
    return { starts: 0 };
  }
  const lines = text.split('\n').filter(Boolean);
  return { starts: lines.length, pid: lines[0] ? Number(lines[0]) : undefined };
}

/** How many lines a slow printer had printed, by its own count. */
export function printedBy(markers: string, guid: string): number {
  try {
    return Number(readFileSync(path.join(markers, `${guid}.printed`), 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}
