// The `runners` table: each runner's row and heartbeat, and the liveness questions asked of it.
// A runner is alive while its heartbeat is within the lease (spec §11).
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { nowIso } from '../core/time.js';

/** The oldest heartbeat still within the lease. */
export const leaseCutoff = (leaseSeconds: number) => new Date(Date.now() - leaseSeconds * 1000).toISOString();

/** What the live runners (with slots, beaten within the lease) could take on. */
export interface LiveRunners {
  alive: boolean;
  /** The most memory_in_mb one of them could ever give a task; undefined when one is bounded by slots alone. */
  largestMemoryMb?: number;
}

/** The live runners, in one query: create refuses tasks when there is none, or none big enough. */
export async function liveRunners(db: Kysely<Database>, leaseSeconds: number): Promise<LiveRunners> {
  const row = await db
    .selectFrom('runners')
    .select((eb) => [
      eb.fn.countAll<number>().as('alive'),
      eb.fn.count<number>('memory_mb').as('bounded'),
      eb.fn.max('memory_mb').as('largest'),
    ])
    .where('heartbeat_at', '>', leaseCutoff(leaseSeconds))
    .where('slots', '>', 0)
    .executeTakeFirstOrThrow();
  const alive = Number(row.alive);
  // Only when every live runner is bounded does the largest bound a task.
  const bounded = alive > 0 && Number(row.bounded) === alive;
  return { alive: alive > 0, largestMemoryMb: bounded ? Number(row.largest) : undefined };
}

/** Adds this process's runner, alive from now. */
export async function registerRunner(db: Kysely<Database>, id: string, slots: number, memoryMb: number | undefined): Promise<void> {
  const now = nowIso();
  await db
    .insertInto('runners')
    .values({ id, hostname: hostname(), pid: process.pid, slots, memory_mb: memoryMb ?? null, started_at: now, heartbeat_at: now })
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
