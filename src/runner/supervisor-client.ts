// The runner's side of the task supervisor (supervisor/supervisor.mjs): finds the one serving
// this data directory or starts it — detached, with nothing of taskd's environment — and talks
// to it over its Unix socket: spawn, attach, kill, freeze, thaw and release requests out; each
// task's start, numbered output lines, freeze and end back to the task they belong to.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { EnforcedLimits, ServerLimits, TaskLimitsRequest } from './limits/limits-of-task.js';
import type {
  HeldTask,
  OutputAllowance,
  OutputLine,
  SupervisorMessage,
  SupervisorRequest,
  SupervisorTaskEvent,
  TaskIdentity,
  TaskSandbox,
} from './supervisor/protocol.js';
import { projectFile } from '../project-files.js';

export type { HeldTask, OutputLine, OutputStream, TaskSandbox } from './supervisor/protocol.js';

export interface TaskProcessEvents {
  started(pid: number): void;
  /** Lines in order, each once (lines at or before the attach point are not sent). */
  lines(lines: OutputLine[]): void;
  /** The task's shell ended; all its output has been delivered. */
  exited(code: number | null, signal: NodeJS.Signals | null, limits?: LimitsAtEnd): void;
  /** The process could not be started, or it ended unseen: the supervisor died while it ran. */
  lost(message: string, how: LostHow): void;
  /** The task's group was stopped (SIGSTOP) on a freeze request. */
  frozen(): void;
}

/** What is known of a task lost to its supervisor. */
export interface LostHow {
  /** Its working directory may still exist. */
  dirLeft: boolean;
  /**
   * It may have run though taskd never heard it start: it was handed to a supervisor that died,
   * and no supervisor's spool has told what became of it since.
   */
  mayHaveStarted: boolean;
}

/** How soon a supervisor that could not be started after another died is tried again. */
const RESTART_RETRY_MS = 1000;

/** The supervisor that held the task died, and no other took in its spool: nothing tells whether it ran. */
const UNSEEN: LostHow = { dirLeft: true, mayHaveStarted: true };
/** It never ran: the supervisor said so, or never got it. */
const NEVER_STARTED: LostHow = { dirLeft: false, mayHaveStarted: false };

/** What the task's limits did to it. */
export interface LimitsAtEnd {
  /** The failure reason of the limit that ended the task, if one did. */
  exceeded?: string;
  /** Bytes of output dropped over the log rate limit. */
  droppedBytes: number;
}

export interface SpawnRequest {
  command: string;
  /** The task's working directory, made by the supervisor as a copy of `source` and removed after. */
  cwd: string;
  source: string;
  env: Record<string, string>;
  /** Enforced by the supervisor on the task's group; none: nothing is enforced. */
  limits?: TaskLimitsRequest;
  /** false: no network for this task, even where the server gives tasks one (sandboxed only). */
  network?: boolean;
  /** The host user the task runs as; none: the supervisor's own. */
  identity?: TaskIdentity;
  /** Whether the task gets a filesystem of its own, sized to its disk limit. */
  disk?: boolean;
  /** The task's own output budget, enforced where the output is read as well as where it is stored. */
  outputBudget?: OutputAllowance;
  /** The task's organization guid, whose CPU share the task's is part of. */
  tenant?: string;
}

/** The name of the error when another taskd's supervisor already serves this data directory. */
export const DATA_DIRECTORY_BUSY = 'DataDirectoryBusy';

const SCRIPT = projectFile('src', 'runner', 'supervisor', 'supervisor.mjs');
/** How long a supervisor just started may take to listen. */
const CONNECT_WITHIN_MS = 10_000;
/** Longest Unix socket path Linux takes (108 bytes with the terminator), with room to spare. */
const MAX_SOCKET_PATH = 100;

export class TaskSupervisor {
  private socket?: net.Socket;
  private readonly following = new Map<string, FollowedTask>();
  private stopping = false;
  private readonly runDir: string;
  private readonly socketPath: string;

  constructor(
    dataDir: string,
    private readonly onError: (err: unknown, msg: string) => void,
    /** Told what a supervisor holds each time one is (re)connected: tasks to take back or release. */
    private readonly onHeld: (tasks: HeldTask[]) => void,
    private readonly serverLimits: ServerLimits = { maxProcesses: 1024, graceSeconds: 10, cpuCores: 1 },
    /** Run every task inside bubblewrap with these options (sandbox/bwrap-args.mjs); none: not. */
    private readonly sandbox?: TaskSandbox,
    /**
     * If taskd dies and does not come back within this many seconds (its runner's lease), the
     * supervisor stops its tasks; none: they run on until a taskd connects again.
     */
    private readonly orphanStopSeconds?: number,
    /** Where task directories are made (task-user.ts); by default the data directory's `tasks`. */
    private readonly tasksRoot = path.join(path.resolve(dataDir), 'tasks'),
  ) {
    this.runDir = path.join(path.resolve(dataDir), 'run');
    const inRunDir = path.join(this.runDir, 'supervisor.sock');
    // A deep data directory cannot hold the socket: it goes to a private directory named after it
    // in /tmp — never $TMPDIR, which may lie elsewhere: sandboxed tasks get a /tmp of their own,
    // so they can no more reach the socket there than in the data directory.
    this.socketPath =
      inRunDir.length <= MAX_SOCKET_PATH
        ? inRunDir
        : path.join('/tmp', `taskd-${createHash('sha256').update(this.runDir).digest('hex').slice(0, 16)}`, 'supervisor.sock');
  }

  /** Whether tasks run in the sandbox, where they see their directory at /home/vcap/app. */
  get sandboxed(): boolean {
    return this.sandbox !== undefined;
  }

  /** Connects to this data directory's supervisor, starting one if none serves it. */
  async start(): Promise<HeldTask[]> {
    mkdirSync(this.runDir, { recursive: true, mode: 0o700 });
    mkdirSync(path.dirname(this.socketPath), { recursive: true, mode: 0o700 });
    assertPrivateDir(path.dirname(this.socketPath));
    let socket = await connect(this.socketPath).catch(() => undefined);
    if (!socket) {
      this.launch();
      const deadline = Date.now() + CONNECT_WITHIN_MS;
      while (!socket) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        socket = await connect(this.socketPath).catch((err) => {
          if (Date.now() > deadline) throw new Error(`the task supervisor did not start: ${(err as Error).message}`);
          return undefined;
        });
      }
    }
    return this.attachSocket(socket);
  }

  /** Starts a supervisor in its own session, logging to the run directory. */
  private launch(): void {
    const log = openSync(path.join(this.runDir, 'supervisor.log'), 'a', 0o600);
    try {
      // No loaders (execArgv) and no inherited environment: the supervisor must not see taskd's
      // secrets, and each task gets exactly the environment the runner builds for it.
      const child = spawn(process.execPath, [SCRIPT, this.runDir, this.socketPath, this.tasksRoot], {
        detached: true,
        env: {},
        stdio: ['ignore', log, log],
      });
      child.unref();
    } finally {
      closeSync(log);
    }
  }

  private attachSocket(socket: net.Socket): Promise<HeldTask[]> {
    return new Promise((resolve, reject) => {
      this.socket = socket;
      let answered = false;
      /** Answered busy: this connection never served taskd, and its close is no supervisor's death. */
      let refused = false;
      // The start of a message whose newline has not arrived: kept as chunks and joined once,
      // since an output flood's messages span many reads and scanning them again on every read
      // made reading quadratic in a message's size.
      let partial: string[] = [];
      socket.setEncoding('utf8');
      socket.on('data', (text: string) => {
        let start = 0;
        let newline;
        while ((newline = text.indexOf('\n', start)) >= 0) {
          const line = partial.length ? partial.join('') + text.slice(start, newline) : text.slice(start, newline);
          partial = [];
          start = newline + 1;
          const message = JSON.parse(line) as SupervisorMessage;
          if (message.type === 'held') {
            answered = true;
            resolve(message.tasks);
          } else if (message.type === 'busy') {
            answered = true;
            refused = true;
            // Named, so that serve can say which taskd it is and how to run a second one.
            reject(
              Object.assign(new Error(`another taskd already runs the tasks of this data directory (${this.runDir})`), {
                name: DATA_DIRECTORY_BUSY,
              }),
            );
          } else this.receive(message);
        }
        if (start < text.length) partial.push(text.slice(start));
      });
      socket.on('error', (err) => this.onError(err, 'task supervisor connection error'));
      socket.once('close', () => {
        if (this.socket === socket) this.socket = undefined;
        if (!answered) return reject(new Error('the task supervisor closed the connection'));
        if (refused) return;
        if (this.stopping) return this.loseAll('the task supervisor exited');
        this.onError(new Error('task supervisor connection closed'), 'task supervisor died; starting another');
        this.restart(this.detachAll());
      });
      // No orphan policy when none is set (or 0, which the supervisor took as none too).
      this.send({
        type: 'hello',
        orphans: this.orphanStopSeconds
          ? { stopAfterSeconds: this.orphanStopSeconds, graceSeconds: this.serverLimits.graceSeconds }
          : undefined,
      });
    });
  }

  /**
   * Starts another supervisor after one died, and has it take in the spools of the tasks `left`.
   * One that cannot be started is tried again each second, so that taskd runs tasks again once
   * it can; the tasks left meanwhile are lost, unseen.
   */
  private restart(left: Map<string, FollowedTask>): void {
    this.start().then(
      (held) => {
        this.reattach(left, held);
        this.onHeld(held);
      },
      (err) => {
        for (const task of left.values()) task.events.lost('the task supervisor exited', UNSEEN);
        this.onError(err, 'restarting the task supervisor failed; trying again in a second');
        const retry = setTimeout(() => {
          if (!this.stopping && !this.socket) this.restart(new Map());
        }, RESTART_RETRY_MS);
        retry.unref();
      },
    );
  }

  /** Starts a task process under the supervisor. */
  spawn(id: string, request: SpawnRequest, events: TaskProcessEvents): void {
    this.following.set(id, { events, lastSeq: 0 });
    if (!this.socket) {
      this.following.delete(id);
      queueMicrotask(() => events.lost('could not start the task: the task supervisor is not running', NEVER_STARTED));
      return;
    }
    const { network, ...spawn } = request;
    const limits: EnforcedLimits | undefined = request.limits && { ...request.limits, ...this.serverLimits };
    const sandbox = this.sandbox && { ...this.sandbox, network: this.sandbox.network && network !== false };
    this.send({ type: 'spawn', id, ...spawn, limits, sandbox });
  }

  /** Follows a task the supervisor already holds: its lines after `afterSeq`, then its end. */
  attach(id: string, afterSeq: number, events: TaskProcessEvents): void {
    this.following.set(id, { events, lastSeq: afterSeq });
    this.send({ type: 'attach', id, afterSeq });
  }

  /** Signals the task's whole process group. */
  kill(id: string, signal: NodeJS.Signals): void {
    if (this.following.has(id)) this.send({ type: 'kill', id, signal });
  }

  /** Pause: stops the started task's whole group and holds its timeout; answered by `frozen`. */
  freeze(id: string): void {
    if (this.following.has(id)) this.send({ type: 'freeze', id });
  }

  /** Resume: continues the group and its timeout. */
  thaw(id: string): void {
    if (this.following.has(id)) this.send({ type: 'thaw', id });
  }

  /**
   * Backpressure: stop (true) or go on (false) reading the task's output, while its lines wait
   * to be stored. The task's own writes then wait on its full pipe.
   */
  holdOutput(id: string, hold: boolean): void {
    if (this.following.has(id)) this.send({ type: 'hold-output', id, hold });
  }

  /**
   * The task's output is over a budget taskd keeps (its organization's; its own the supervisor
   * counts itself): the supervisor goes on reading it, at a bounded rate (the task runs on), but
   * neither spools nor sends it, so a flood costs neither disk nor taskd's time.
   */
  discardOutput(id: string): void {
    if (this.following.has(id)) this.send({ type: 'discard-output', id });
  }

  /** A droplet was staged: the supervisor makes its image now rather than at its first task. */
  prepare(source: string, identity: TaskIdentity | undefined): void {
    if (this.socket) this.send({ type: 'prepare', source, ...(identity ? { identity } : {}) });
  }

  /** The task's end is recorded (or it is not wanted): the supervisor forgets it and its spool. */
  release(id: string): void {
    this.send({ type: 'release', id });
  }

  /** Disconnects; the supervisor exits once no task of it runs. */
  async stop(): Promise<void> {
    this.stopping = true;
    const socket = this.socket;
    if (!socket) return;
    this.send({ type: 'shutdown' });
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.end();
    await closed;
  }

  private send(message: SupervisorRequest): void {
    if (this.socket && !this.socket.destroyed) this.socket.write(`${JSON.stringify(message)}\n`);
  }

  private receive(message: SupervisorTaskEvent): void {
    const task = this.following.get(message.id);
    if (!task) return;
    switch (message.type) {
      case 'started':
        task.pid = message.pid;
        task.events.started(message.pid);
        break;
      case 'lines':
        task.lastSeq = message.lines[message.lines.length - 1]?.seq ?? task.lastSeq;
        task.events.lines(message.lines);
        break;
      case 'frozen':
        task.events.frozen();
        break;
      case 'exit':
        this.following.delete(message.id);
        if ('spawnError' in message) task.events.lost(`could not start the task: ${message.spawnError}`, NEVER_STARTED);
        // The supervisor's spool tells a start it recorded (or may have missed): `started` came first.
        else if ('lost' in message) task.events.lost(message.lost, NEVER_STARTED);
        else
          task.events.exited(message.code ?? null, message.signal ?? null, {
            exceeded: message.exceeded,
            droppedBytes: message.droppedBytes ?? 0,
          });
        break;
    }
  }

  /**
   * The supervisor died while taskd runs on: what it had not yet told taskd — a task's start, its
   * last lines, its exit — died with it, but much of it is in the task's spool. The groups it
   * started live on without anyone reading their pipes, so they are killed from here; their
   * tasks wait for the next supervisor, which takes in the spools (reattach).
   */
  private detachAll(): Map<string, FollowedTask> {
    const left = new Map(this.following);
    this.following.clear();
    for (const task of left.values()) killGroup(task.pid);
    return left;
  }

  /**
   * Follows the tasks of a supervisor that died through the one that took in its spools: each
   * ends as its spool says — by its exit, with the lines taskd had not yet heard, or lost. One
   * whose start only the spool saw is told it started, so it is not reported as never run.
   */
  private reattach(left: Map<string, FollowedTask>, held: HeldTask[]): void {
    const byId = new Map(held.map((t) => [t.id, t]));
    for (const [id, task] of left) {
      const found = byId.get(id);
      if (!found) {
        // The next supervisor took in every spool, and a task is spooled before it can run
        // ("spawning"): without one it never ran.
        task.events.lost('the task supervisor exited', { dirLeft: true, mayHaveStarted: false });
        continue;
      }
      this.following.set(id, task);
      if (found.started && task.pid === undefined) task.events.started(0);
      this.send({ type: 'attach', id, afterSeq: task.lastSeq });
    }
  }

  /** taskd is stopping and the supervisor is gone: whatever it held is lost. */
  private loseAll(message: string): void {
    const lost = [...this.following.values()];
    this.following.clear();
    for (const task of lost) {
      killGroup(task.pid);
      task.events.lost(message, UNSEEN);
    }
  }
}

/** What taskd follows of a task: whom to tell, its group, and the last line heard. */
interface FollowedTask {
  events: TaskProcessEvents;
  pid?: number;
  lastSeq: number;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Whoever can reach the socket can run commands as taskd: its directory must be taskd's own and
 * closed to others (in /tmp another user could have made it first).
 */
function assertPrivateDir(dir: string): void {
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o077) !== 0) {
    throw new Error(`${dir} must be a directory of taskd's own user, closed to others (mode 700)`);
  }
}

function connect(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
