// The task supervisor's socket protocol, both directions: JSON, one message per line, between
// taskd's runner (supervisor-client.ts) and the supervisor (supervisor.mjs). Types only, so the
// supervisor — plain JavaScript run without loaders — names them in JSDoc (`@import`) and never
// loads this file; supervisor.mjs's opening comment says what each message does.
import type { EnforcedLimits } from '../limits/limits-of-task.js';

export type OutputStream = 'stdout' | 'stderr';

/** One line of a task's output, numbered from 1 by the supervisor. */
export interface OutputLine {
  seq: number;
  time: string;
  stream: OutputStream;
  text: string;
}

/** A task the supervisor holds, as it answers a new client. */
export interface HeldTask {
  id: string;
  /** Its process was started (for one taken in from a dead supervisor's spool: the spool says it was, or may have been). */
  started: boolean;
  frozen: boolean;
  ended: boolean;
}

/** bwrap's binary, whether the task keeps the network, and the data directory it must not see. */
export interface TaskSandbox {
  bwrap: string;
  network: boolean;
  dataDir: string;
}

/** The host user a task runs as. */
export interface TaskIdentity {
  uid: number;
  gid: number;
}

/**
 * What the last client asked for tasks left without any client: SIGTERM to each once none has
 * connected for `stopAfterSeconds`, SIGKILL after the grace.
 */
export interface OrphanPolicy {
  stopAfterSeconds: number;
  graceSeconds: number;
}

/** Starts a task: copies `source` to `cwd` and runs `/bin/sh -c command` there as its own group. */
export interface SpawnMessage {
  type: 'spawn';
  id: string;
  command: string;
  cwd: string;
  source: string;
  env: Record<string, string>;
  /** Enforced on the task's group; none: nothing is enforced. */
  limits?: EnforcedLimits;
  /** Runs the task in bubblewrap with these options; none: unsandboxed. */
  sandbox?: TaskSandbox;
  /** none: the supervisor's own user. */
  identity?: TaskIdentity;
  /** A filesystem of the task's own, sized to its disk limit. */
  disk?: boolean;
  /** The task's own output budget: past it, lines are discarded here (see SupervisedTask.queueLine). */
  outputBudget?: OutputAllowance;
  /** The task's organization (guid): CPU is shared fairly between organizations first (cgroup-v1.mjs). */
  tenant?: string;
}

/** Lines, and UTF-8 bytes of their text, a task may still pass on. */
export interface OutputAllowance {
  lines: number;
  bytes: number;
}

/** Runner → supervisor. */
export type SupervisorRequest =
  | { type: 'hello'; orphans?: OrphanPolicy }
  | SpawnMessage
  | { type: 'attach'; id: string; afterSeq: number }
  | { type: 'kill'; id: string; signal: NodeJS.Signals }
  | { type: 'freeze'; id: string }
  | { type: 'thaw'; id: string }
  | { type: 'hold-output'; id: string; hold: boolean }
  | { type: 'discard-output'; id: string }
  | { type: 'release'; id: string }
  | PrepareMessage
  | { type: 'shutdown' };

/**
 * A droplet was staged: make what its tasks start from (its image, where tasks get filesystems of
 * their own) now, so that its first task need not wait for it.
 */
export interface PrepareMessage {
  type: 'prepare';
  source: string;
  /** The user its tasks run as; none: the supervisor's own. */
  identity?: TaskIdentity;
}

/**
 * How a task ended: its shell's exit (with what its limits did), or it never started
 * (`spawnError`), or it ended unseen (`lost`: its supervisor was gone). Also its spool's last record.
 */
export type TaskEnd =
  | { code: number | null; signal: NodeJS.Signals | null; exceeded?: string; droppedBytes: number }
  | { spawnError: string }
  | { lost: string };

/** Supervisor → runner: the answers to `hello` (`held`, or `busy` to a second client), then each task's events. */
export type SupervisorMessage = { type: 'held'; tasks: HeldTask[] } | { type: 'busy' } | SupervisorTaskEvent;

/** What the supervisor tells of one task the client follows. */
export type SupervisorTaskEvent =
  | { type: 'started'; id: string; pid: number }
  | { type: 'lines'; id: string; lines: OutputLine[] }
  | { type: 'frozen'; id: string }
  | ({ type: 'exit'; id: string } & TaskEnd);
