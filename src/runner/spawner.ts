// The runner's side of the spawner helper (spawner-process.mjs): starts it with nothing of
// taskd's environment, sends spawn, kill, freeze and thaw requests, and routes what comes back
// to each task. The helper also makes and removes each task's working directory.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EnforcedLimits, ServerLimits, TaskLimitsRequest } from './limits/limits-of-task.js';

export type OutputStream = 'stdout' | 'stderr';

export interface TaskProcessEvents {
  started(pid: number): void;
  output(stream: OutputStream, text: string): void;
  /** The task's shell ended; all its output has been delivered. */
  exited(code: number | null, signal: NodeJS.Signals | null, limits?: LimitsAtEnd): void;
  /**
   * The process could not be started, or the spawner died while it ran (outcome unknown).
   * `dirLeft`: the helper died, so the task's working directory may still exist.
   */
  lost(message: string, dirLeft: boolean): void;
  /** The task's group was stopped (SIGSTOP) on a freeze request. */
  frozen(): void;
}

/** What the task's limits did to it. */
export interface LimitsAtEnd {
  /** The failure reason of the limit that ended the task, if one did. */
  exceeded?: string;
  /** Bytes of output dropped over the log rate limit. */
  droppedBytes: number;
}

export interface SpawnRequest {
  command: string;
  /** The task's working directory, made by the helper as a copy of `source` and removed after. */
  cwd: string;
  source: string;
  env: Record<string, string>;
  /** Enforced by the helper on the task's group; none: nothing is enforced. */
  limits?: TaskLimitsRequest;
}

type SpawnerMessage =
  | { type: 'started'; id: number; pid: number }
  | { type: 'output'; id: number; stream: OutputStream; text: string }
  | { type: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null; exceeded?: string; droppedBytes?: number }
  | { type: 'spawn-error'; id: number; message: string }
  | { type: 'frozen'; id: number };

/** bwrap's binary, whether the task keeps the network, and the data directory it must not see. */
export type TaskSandbox = { bwrap: string; network: boolean; dataDir: string };

const SCRIPT = fileURLToPath(new URL('./spawner-process.mjs', import.meta.url));

export class Spawner {
  private child?: ChildProcess;
  private nextId = 1;
  private readonly running = new Map<number, { events: TaskProcessEvents; pid?: number }>();
  private stopping = false;

  constructor(
    private readonly onError: (err: unknown, msg: string) => void,
    private readonly serverLimits: ServerLimits = { maxProcesses: 1024, graceSeconds: 10 },
    /** Run every task inside bubblewrap with these options (sandbox/bwrap-args.mjs); none: not. */
    private readonly sandbox?: TaskSandbox,
  ) {}

  /** Whether tasks run in the sandbox, where they see their directory at /home/vcap/app. */
  get sandboxed(): boolean {
    return this.sandbox !== undefined;
  }

  start(): void {
    // No loaders (execArgv) and no inherited environment: the helper must not see taskd's
    // secrets, and each task gets exactly the environment the runner builds for it.
    const child = fork(SCRIPT, [], { execArgv: [], env: {}, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    this.child = child;
    child.on('message', (message: SpawnerMessage) => this.receive(message));
    child.on('error', (err) => this.onError(err, 'task spawner error'));
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      this.loseAll(`the task spawner exited (${signal ?? `status ${code}`})`);
      if (!this.stopping) {
        this.onError(new Error(`task spawner exited (${signal ?? code})`), 'task spawner died; restarting it');
        this.start();
      }
    });
  }

  /** Starts a task process; returns the id to kill it by. */
  spawn(request: SpawnRequest, events: TaskProcessEvents): number {
    const id = this.nextId++;
    this.running.set(id, { events });
    if (!this.child?.connected) {
      this.running.delete(id);
      queueMicrotask(() => events.lost('the task spawner is not running', false));
      return id;
    }
    const limits: EnforcedLimits | undefined = request.limits && { ...request.limits, ...this.serverLimits };
    this.child.send({ type: 'spawn', id, ...request, limits, sandbox: this.sandbox });
    return id;
  }

  /** Signals the task's whole process group. */
  kill(id: number, signal: NodeJS.Signals): void {
    if (this.running.has(id) && this.child?.connected) this.child.send({ type: 'kill', id, signal });
  }

  /** Pause: stops the started task's whole group and holds its timeout; answered by `frozen`. */
  freeze(id: number): void {
    this.sendTo(id, { type: 'freeze', id });
  }

  /** Resume: continues the group and its timeout. */
  thaw(id: number): void {
    this.sendTo(id, { type: 'thaw', id });
  }

  private sendTo(id: number, message: object): void {
    if (this.running.has(id) && this.child?.connected) this.child.send(message);
  }

  /** Stops the helper; it kills any group it still holds when its channel closes. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.disconnect();
    await exited;
  }

  private receive(message: SpawnerMessage): void {
    const task = this.running.get(message.id);
    if (!task) return;
    switch (message.type) {
      case 'started':
        task.pid = message.pid;
        task.events.started(message.pid);
        break;
      case 'output':
        task.events.output(message.stream, message.text);
        break;
      case 'exit':
        this.running.delete(message.id);
        task.events.exited(message.code, message.signal, { exceeded: message.exceeded, droppedBytes: message.droppedBytes ?? 0 });
        break;
      case 'frozen':
        task.events.frozen();
        break;
      case 'spawn-error':
        this.running.delete(message.id);
        task.events.lost(`could not start the task: ${message.message}`, false);
        break;
    }
  }

  /**
   * The helper died: the groups it started may live on without anyone reading their output or
   * exit status, so they are killed from here and their tasks reported lost.
   */
  private loseAll(message: string): void {
    const lost = [...this.running.values()];
    this.running.clear();
    for (const task of lost) {
      if (task.pid !== undefined) {
        try {
          process.kill(-task.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      task.events.lost(message, true);
    }
  }
}
