// Each runner keeps its row in `runners` fresh (store/runners.ts); create refuses tasks when no
// runner's heartbeat is within the lease (spec §11: 503 TaskWorkersUnavailable), and tasks bigger
// than every live runner's memory.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { beatRunner, registerRunner, removeRunner } from '../store/runners.js';
import { newGuid } from '../core/ids.js';

/** A missed beat is tried again this soon, not a third of the lease later. */
const RETRY_MS = 1000;

export class RunnerHeartbeat {
  readonly id = newGuid();
  private timer?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly slots: number,
    /** TASKD_RUNNER_MEMORY_MB: recorded so that creates on every node know what this runner could take. */
    private readonly memoryMb: number | undefined,
    private readonly leaseSeconds: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    await registerRunner(this.db, this.id, this.slots, this.memoryMb);
    // A third of the lease: two missed beats still leave the runner alive.
    this.timer = setInterval(() => this.beatNow(), (this.leaseSeconds * 1000) / 3);
    this.timer.unref();
  }

  async beat(): Promise<void> {
    await beatRunner(this.db, this.id);
  }

  /**
   * Beats; a beat that fails (a full disk, a lost database connection) is tried again each
   * second, so that a node whose store is back takes tasks again at once instead of refusing
   * creates (no runner alive) until its next regular beat.
   */
  private beatNow(): void {
    this.beat().then(
      () => {
        clearTimeout(this.retry);
        this.retry = undefined;
      },
      (err) => {
        this.onError(err);
        if (this.retry || this.stopped) return;
        this.retry = setTimeout(() => {
          this.retry = undefined;
          this.beatNow();
        }, RETRY_MS);
        this.retry.unref();
      },
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retry);
    await removeRunner(this.db, this.id);
  }
}
