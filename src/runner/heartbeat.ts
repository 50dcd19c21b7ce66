// Each runner keeps a row in `runners` fresh; create refuses tasks when no runner's heartbeat is
// within the lease (spec §11: 503 TaskWorkersUnavailable).
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { newGuid } from '../core/ids.js';
import { nowIso } from '../core/time.js';

export async function anyRunnerAlive(db: Kysely<Database>, leaseSeconds: number): Promise<boolean> {
  const since = new Date(Date.now() - leaseSeconds * 1000).toISOString();
  const row = await db.selectFrom('runners').select('id').where('heartbeat_at', '>', since).where('slots', '>', 0).limit(1).executeTakeFirst();
  return row !== undefined;
}

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
    private readonly leaseSeconds: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    const now = nowIso();
    await this.db.insertInto('runners').values({ id: this.id, hostname: hostname(), pid: process.pid, slots: this.slots, started_at: now, heartbeat_at: now }).execute();
    // A third of the lease: two missed beats still leave the runner alive.
    this.timer = setInterval(() => this.beatNow(), (this.leaseSeconds * 1000) / 3);
    this.timer.unref();
  }

  async beat(): Promise<void> {
    await this.db.updateTable('runners').set({ heartbeat_at: nowIso() }).where('id', '=', this.id).execute();
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
    await this.db.deleteFrom('runners').where('id', '=', this.id).execute();
  }
}
