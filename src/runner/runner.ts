// The runner of one taskd node: claims PENDING tasks fairly while it has free slots, runs
// each under the task supervisor, freezes and thaws the ones paused and resumed, stops the ones
// cancelled or deleted, and fails the tasks of runners that died. At start it takes back the
// tasks the supervisor kept running while taskd was down. Signals from this node's actions make
// it act at once; a poll catches what other nodes changed.
import { reservedSlots, type Config } from '../config.js';
import type { Logger } from '../context.js';
import type { Store } from '../store/database.js';
import { RunnerHeartbeat } from './heartbeat.js';
import { cgroupV2Support, limitMechanisms, taskFilesystemSupport } from './limits/mechanisms.js';
import { RunningTask, type RunningTaskDeps } from './running-task.js';
import type { TaskSignals } from '../signals/task-signals.js';
import { sandboxInForce, taskNetworkInForce, type SandboxInForce } from './sandbox/detect.js';
import { TaskSupervisor, type HeldTask } from './supervisor-client.js';
import { RunnerTaskStore } from './task-store.js';
import type { ClaimedTask } from '../store/tasks/launch-context.js';
import { Workspaces } from './workspace.js';
import { describeTaskUser, prepareTaskDirsRoot, taskDirsRoot, taskHostUser } from './task-user.js';
import { DropletTrees } from './droplet-trees.js';
import { bundleLimits, DropletFiles } from '../droplets/storage.js';

/** How often the store is checked for work, and for cancels, pauses and resumes from other nodes. */
const POLL_MS = 1000;

export type RunnerConfig = Pick<
  Config,
  | 'dataDir'
  | 'runnerSlots'
  | 'runnerMemoryMb'
  | 'cancelGraceSeconds'
  | 'runnerLeaseSeconds'
  | 'externalUrl'
  | 'taskMaxProcesses'
  | 'sandbox'
  | 'taskNetwork'
  | 'maximumDiskInMb'
  | 'taskUid'
  | 'taskGid'
  | 'taskCpuCores'
  | 'runnerReservedSlots'
  | 'orgRunningTasksLimit'
  | 'spaceRunningTasksLimit'
  | 'taskOutputMaxBytes'
  | 'taskOutputMaxLines'
  | 'orgOutputMaxMb'
>;

/** What gives a task its identity towards the API: its own token, and where the API is. */
export interface TaskIdentity {
  token(task: ClaimedTask): Promise<string>;
  apiUrl(): string | undefined;
}

export class Runner {
  private readonly heartbeat: RunnerHeartbeat;
  private readonly tasks: RunnerTaskStore;
  private readonly supervisor: TaskSupervisor;
  private readonly workspaces: Workspaces;
  private readonly sandbox: SandboxInForce;
  private readonly deps: RunningTaskDeps;
  /** Tasks of this runner by guid, from claim until their outcome is recorded. */
  private readonly held = new Map<string, RunningTask>();
  /** Work to wait for on stop: claims, task runs and working-directory removals. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly unsubscribe: (() => void)[] = [];
  private pollTimer?: NodeJS.Timeout;
  private claiming = false;
  private claimAgain = false;
  private stopped = false;
  private lastReconcile = 0;
  private readonly reservedSlots: number;

  constructor(
    store: Store,
    private readonly config: RunnerConfig,
    private readonly signals: TaskSignals,
    private readonly log: Logger,
    identity?: TaskIdentity,
  ) {
    const onError = (err: unknown, msg = 'runner error') => log.error({ err }, msg);
    this.reservedSlots = reservedSlots(config);
    this.heartbeat = new RunnerHeartbeat(store.db, config.runnerSlots, config.runnerMemoryMb, config.runnerLeaseSeconds, (err) =>
      onError(err, 'runner heartbeat failed'),
    );
    this.tasks = new RunnerTaskStore(store.db, store.dialect, this.heartbeat.id);
    this.sandbox = sandboxInForce(config.sandbox);
    const sandbox = this.sandbox.bwrap
      ? { bwrap: this.sandbox.bwrap, network: config.taskNetwork === 'on', dataDir: config.dataDir }
      : undefined;
    const serverLimits = { maxProcesses: config.taskMaxProcesses, graceSeconds: config.cancelGraceSeconds, cpuCores: config.taskCpuCores };
    const hostUser = taskHostUser(config);
    const tasksRoot = taskDirsRoot(config.dataDir, hostUser);
    this.supervisor = new TaskSupervisor(
      config.dataDir,
      onError,
      (held) => this.track(this.takeBack(held)),
      serverLimits,
      sandbox,
      config.runnerLeaseSeconds,
      tasksRoot,
    );
    this.workspaces = new Workspaces(tasksRoot);
    this.deps = {
      db: store.db,
      tasks: this.tasks,
      supervisor: this.supervisor,
      workspaces: this.workspaces,
      log,
      signals,
      hostUser,
      // Known once start() has probed the host.
      ownFilesystems: false,
      droplets: new DropletTrees(store.db, new DropletFiles(config.dataDir), bundleLimits(config), store.dialect === 'postgres'),
      graceSeconds: config.cancelGraceSeconds,
      // Read as each task starts: the port may be chosen only when the server listens.
      get apiUrl() {
        return identity?.apiUrl() ?? config.externalUrl;
      },
      taskToken: identity?.token,
      outputBudget: {
        taskMaxBytes: config.taskOutputMaxBytes,
        taskMaxLines: config.taskOutputMaxLines,
        orgMaxBytes: config.orgOutputMaxMb * 1024 * 1024,
      },
      outputTruncated: (reason) => signals.outputTruncated(reason),
    };
  }

  get id(): string {
    return this.heartbeat.id;
  }

  /** Slots not holding a task (none after a restart took back more tasks than there are slots). */
  get freeSlots(): number {
    return Math.max(0, this.config.runnerSlots - this.held.size);
  }

  /**
   * A droplet was staged on this node: where tasks get filesystems of their own, its image (the
   * lower layer of their overlays) is made now, so that the task a user runs right after a push
   * starts as fast as the next. Elsewhere tasks copy the droplet, and there is nothing to make.
   */
  dropletStaged(dropletGuid: string): void {
    if (this.stopped || !this.deps.ownFilesystems) return;
    this.deps.droplets.treeOf(dropletGuid).then(
      (tree) => this.supervisor.prepare(tree, this.deps.hostUser),
      (err) => this.log.warn({ err, droplet: dropletGuid }, 'preparing a staged droplet failed'),
    );
  }

  async start(): Promise<void> {
    // memory / processes say 'cgroup v1' where each task gets its own v1 groups (limits/cgroup-v1.mjs).
    this.log.info(
      { limits: await limitMechanisms(this.config), cgroupV2: cgroupV2Support().reason },
      'task limits: how this host enforces them',
    );
    const filesystems = await taskFilesystemSupport();
    if (!filesystems.usable)
      this.log.info(
        { reason: filesystems.reason },
        'tasks get no filesystem of their own: their disk limit is watched, not enforced by the kernel',
      );
    this.deps.ownFilesystems = filesystems.usable;
    if (this.deps.hostUser) prepareTaskDirsRoot(this.workspaces.root);
    this.log.info(
      {
        sandbox: this.sandbox.kind,
        reason: this.sandbox.reason,
        taskNetwork: taskNetworkInForce(this.config, this.sandbox),
        taskUser: describeTaskUser(this.config, this.sandbox.kind === 'bwrap'),
      },
      'task sandbox',
    );
    const held = await this.supervisor.start();
    await this.heartbeat.start();
    // Before the reconcile, which would fail them as tasks of a runner that is gone.
    await this.takeBack(held);
    await this.reconcile();
    this.unsubscribe.push(
      this.signals.onCreated((organizationId) => this.taskCreated(organizationId)),
      this.signals.onCancelRequested((guid) => this.cancel(guid)),
      this.signals.onPauseRequested((guid) => this.held.get(guid)?.pause()),
      this.signals.onResumeRequested((guid) => this.held.get(guid)?.resume()),
    );
    this.pollTimer = setInterval(() => void this.poll(), POLL_MS);
    this.pollTimer.unref();
    this.claimSoon();
  }

  /** Tasks this runner holds now (running, paused or being cancelled): what a stop() would stop. */
  get tasksHeld(): number {
    return this.held.size;
  }

  /**
   * Stops claiming and stops every task still running (SIGTERM, SIGKILL after the grace). Their
   * end is recorded — FAILED "Stopped: taskd was shut down", unless a task still succeeded or a
   * limit ended it first — rather than left RUNNING for another node to find: this node knows how
   * they ended.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.pollTimer);
    for (const off of this.unsubscribe) off();
    for (const task of this.held.values()) task.stop('shutdown');
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
    await this.supervisor.stop();
    await this.heartbeat.stop();
  }

  /**
   * A task was created: claim, unless that claim could take nothing. When only reserved slots are
   * free, they go to organizations with nothing running, and one holding a task here is not one:
   * the claim is left to the next wake-up (a task's end, the poll). A tenant creating tasks by the
   * hundred while its tasks fill the open slots would otherwise have each create run a claim.
   */
  private taskCreated(organizationId: number | undefined): void {
    const onlyReserved = this.freeSlots <= this.reservedSlots;
    if (onlyReserved && organizationId !== undefined && this.holdsTaskOf(organizationId)) return;
    this.claimSoon();
  }

  private holdsTaskOf(organizationId: number): boolean {
    for (const task of this.held.values()) if (task.task.organization_id === organizationId) return true;
    return false;
  }

  /**
   * Coalesces wake-ups: one claim loop at a time, rerun if woken while it ran. The loop starts on
   * the next turn of the event loop, so that slots freed together (tasks recorded in one batch)
   * are claimed for in one statement rather than one each.
   */
  private claimSoon(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = true;
    // Tracked so that stop() waits for a claim in flight and for whatever it launched.
    this.track(
      new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => this.claimWhileFree())
        .finally(() => {
          this.claiming = false;
          if (this.claimAgain) {
            this.claimAgain = false;
            this.claimSoon();
          }
        }),
    );
  }

  /**
   * Claims while slots are free. The node's last reserved slots (reservedSlots) go only to
   * organizations with nothing running anywhere: however long one tenant's tasks run, another
   * arriving finds a slot at once. The others go to whoever is waiting, fairly (claimTasks).
   */
  private async claimWhileFree(): Promise<void> {
    try {
      while (!this.stopped) {
        const free = this.config.runnerSlots - this.held.size;
        if (free <= 0) return;
        const open = free - this.reservedSlots;
        const maxMemoryMb = this.freeMemoryMb;
        // With a memory bound, one task per claim: each claim must see what the last one took.
        const wanted = maxMemoryMb !== undefined ? 1 : open > 0 ? open : free;
        const claimed = await this.tasks.claim(wanted, {
          maxMemoryMb,
          orgRunningLimit: this.config.orgRunningTasksLimit,
          spaceRunningLimit: this.config.spaceRunningTasksLimit,
          idleOrgsOnly: open <= 0,
        });
        for (const task of claimed) this.launch(new RunningTask(this.deps, task));
        // Fewer than asked: nobody else may have a slot now (an idle organization's task would
        // have been among them).
        if (claimed.length < wanted) return;
      }
    } catch (err) {
      this.log.error({ err }, 'claiming tasks failed');
    }
  }

  /** Memory (MB) this node's tasks may still ask for; undefined when only slots bound them. */
  private get freeMemoryMb(): number | undefined {
    const capacity = this.config.runnerMemoryMb;
    if (capacity === undefined) return undefined;
    let used = 0;
    for (const task of this.held.values()) used += task.task.memory_in_mb;
    return capacity - used;
  }

  private launch(task: RunningTask): void {
    this.held.set(task.guid, task);
    // Claimed while stopping: stop it at once so stop() records it with the rest.
    if (this.stopped) task.stop('shutdown');
    this.track(
      task.run().then(() => {
        this.held.delete(task.guid);
        // The supervisor removes each directory once its task ended, unless it died meanwhile.
        if (task.dirLeft)
          this.track(
            this.workspaces.remove(task.guid).catch((err) => this.log.warn({ err, task: task.guid }, 'removing a task directory failed')),
          );
        this.claimSoon();
      }),
    );
  }

  /**
   * Takes back what the supervisor held when it was (re)connected: tasks still RUNNING, PAUSING,
   * PAUSED or CANCELING in the store are followed to their end by this runner; the others (ended
   * meanwhile, or deleted) are released, which kills a process nobody wants any more.
   */
  private async takeBack(held: HeldTask[]): Promise<void> {
    const candidates = held.filter((t) => !this.held.has(t.id));
    if (!candidates.length) return;
    try {
      const adopted = await this.tasks.adopt(candidates.map((t) => t.id));
      const byId = new Map(candidates.map((t) => [t.id, t]));
      for (const task of adopted) this.launch(new RunningTask(this.deps, task, byId.get(task.guid)));
      const taken = new Set(adopted.map((t) => t.guid));
      for (const t of candidates) if (!taken.has(t.id)) this.supervisor.release(t.id);
      if (adopted.length) this.log.info({ tasks: adopted.length }, 'took back tasks that ran on while taskd was down');
    } catch (err) {
      this.log.error({ err }, 'taking back running tasks failed');
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /**
   * A cancel (or delete) committed: stop the task if it runs here. One that no runner claimed is
   * finished by the cancel itself; the poll only catches those it missed.
   */
  private cancel(guid: string): void {
    this.held.get(guid)?.stop();
  }

  /**
   * Catches up with changes made on other nodes: new tasks, cancels, pauses, resumes, deletions,
   * dead runners.
   */
  private async poll(): Promise<void> {
    if (this.stopped) return;
    this.claimSoon();
    try {
      if (this.held.size) {
        const readAt = performance.now();
        const states = await this.tasks.followedStates();
        for (const task of this.held.values()) this.follow(task, states.get(task.guid), readAt);
        const running = [...this.held.values()];
        const existing = await this.tasks.existingIds(running.map((t) => t.task.id));
        for (const task of running) if (!existing.has(task.task.id)) task.stop();
      }
      await this.tasks.failUnclaimedCancels();
      if (Date.now() - this.lastReconcile >= (this.config.runnerLeaseSeconds * 1000) / 3) await this.reconcile();
    } catch (err) {
      this.log.error({ err }, 'runner poll failed');
    }
  }

  /**
   * Brings a held task in line with its stored state (undefined: RUNNING, or gone). A pause or
   * resume asked of it since the store was read is newer than what was read, and stands.
   */
  private follow(task: RunningTask, state: string | undefined, readAt: number): void {
    if (state === 'CANCELING') return task.stop();
    if (task.pauseChangedAt >= readAt) return;
    // Pausing again also retries recording PAUSED for a PAUSING task already frozen.
    if (state === 'PAUSING' || (state === 'PAUSED' && !task.frozenWanted)) task.pause();
    else if (state === undefined && task.frozenWanted) task.resume();
  }

  private async reconcile(): Promise<void> {
    this.lastReconcile = Date.now();
    const lost = await this.tasks.failTasksOfDeadRunners(this.config.runnerLeaseSeconds, this.config.cancelGraceSeconds);
    if (!lost.length) return;
    this.log.warn({ tasks: lost.length }, 'finished the tasks of runners that are gone');
    for (const task of lost) this.signals.taskEnded(task.guid);
  }
}
