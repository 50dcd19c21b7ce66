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

export class RunnerHeartbeat {
  readonly id = newGuid();
  private timer?: NodeJS.Timeout;

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
    this.timer = setInterval(() => void this.beat().catch(this.onError), (this.leaseSeconds * 1000) / 3);
    this.timer.unref();
  }

  async beat(): Promise<void> {
    await this.db.updateTable('runners').set({ heartbeat_at: nowIso() }).where('id', '=', this.id).execute();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.db.deleteFrom('runners').where('id', '=', this.id).execute();
  }
}
