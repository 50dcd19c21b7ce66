// Runs each node's periodic upkeep of tasks on timers that never keep the process alive.
import type { AppContext } from './context.js';
import { expireStrandedPendingTasks, pruneCompletedTasks, RunnerMemoryWindow } from './actions/task-maintenance.js';
import { deleteExpiredSessions, vsphereSessionLimits } from './actions/vsphere-sessions.js';
import { deleteExpiredTokenSessions } from './store/credentials.js';

const EXPIRY_EVERY_MS = 60_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Deleted tasks, output and apps give their space back to the file system within this (SQLite). */
const RECLAIM_EVERY_MS = 60_000;

export class Maintenance {
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly ctx: AppContext) {}

  start(): void {
    const { db } = this.ctx.store;
    const { config, log } = this.ctx;
    const every = (ms: number, what: string, job: () => Promise<unknown>) => {
      const timer = setInterval(() => void job().catch((err) => log.error({ err }, `${what} failed`)), ms);
      timer.unref();
      this.timers.push(timer);
    };
    const runnerMemory = new RunnerMemoryWindow();
    every(EXPIRY_EVERY_MS, 'expiring stranded PENDING tasks', () =>
      expireStrandedPendingTasks(db, config.runnerLeaseSeconds, runnerMemory),
    );
    every(EXPIRY_EVERY_MS, 'deleting expired vSphere sessions', () => deleteExpiredSessions(db, vsphereSessionLimits(config)));
    every(PRUNE_EVERY_MS, 'pruning completed tasks', () => pruneCompletedTasks(db, config.completedTasksCutoffDays));
    every(PRUNE_EVERY_MS, 'forgetting expired logins', () => deleteExpiredTokenSessions(db));
    every(PRUNE_EVERY_MS, 'refreshing planner statistics', () => this.ctx.store.optimize());
    every(RECLAIM_EVERY_MS, 'giving free database space back', async () => {
      const bytes = await this.ctx.store.reclaimFreeSpace();
      if (bytes > 0) log.info({ bytes }, 'gave free database space back to the file system');
    });
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }
}
