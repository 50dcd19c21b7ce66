// The `runners` table: each runner's row and heartbeat, and the liveness questions asked of it.
// A runner is alive while its heartbeat is within the lease (spec §11).
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { nowIso } from '../core/time.js';

/** The oldest heartbeat still within the lease. */
export const leaseCutoff = (leaseSeconds: number) => new Date(Date.now() - leaseSeconds * 1000).toISOString();

/** Whether any runner with slots has beaten within the lease: create refuses tasks otherwise. */
export async function anyRunnerAlive(db: Kysely<Database>, leaseSeconds: number): Promise<boolean> {
  const row = await db
    .selectFrom('runners')
    .select('id')
    .where('heartbeat_at', '>', leaseCutoff(leaseSeconds))
    .where('slots', '>', 0)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Adds this process's runner, alive from now. */
export async function registerRunner(db: Kysely<Database>, id: string, slots: number): Promise<void> {
  const now = nowIso();
  await db
    .insertInto('runners')
    .values({ id, hostname: hostname(), pid: process.pid, slots, started_at: now, heartbeat_at: now })
    .execute();
}

export async function beatRunner(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('runners').set({ heartbeat_at: nowIso() }).where('id', '=', id).execute();
}

export async function removeRunner(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('runners').where('id', '=', id).execute();
}

/** How runners are named in messages: their host and pid, by id. */
export async function runnerNames(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const runners = await db.selectFrom('runners').select(['id', 'hostname', 'pid']).where('id', 'in', ids).execute();
  return new Map(runners.map((r) => [r.id, `${r.hostname} (pid ${r.pid})`]));
}
