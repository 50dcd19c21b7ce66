// Runs the numbered migrations at start. Kysely's migrator takes a lock (an advisory lock on
// PostgreSQL), so several taskd processes starting at once against one database migrate it once.
import { Migrator, sql, type Migration } from 'kysely';
import type { Store } from './database.js';
import { foundation } from './migrations/001_foundation.js';
import { tasks } from './migrations/002_tasks.js';
import { taskCounts } from './migrations/003_task_counts.js';
import { taskProgress } from './migrations/004_task_progress.js';
import { taskLimits } from './migrations/005_task_limits.js';
import { taskDismissal } from './migrations/006_task_dismissal.js';
import { vsphereSessions } from './migrations/007_vsphere_sessions.js';
import { dropletBundles } from './migrations/008_droplet_bundles.js';
import { fairClaims } from './migrations/011_fair_claims.js';
import { credentials } from './migrations/010_credentials.js';
import { signingKeys } from './migrations/009_signing_keys.js';
import { outputBudgets } from './migrations/012_output_budgets.js';
import { dropletBudgets } from './migrations/013_droplet_budgets.js';
import { vsphereSessionLimits } from './migrations/014_vsphere_session_limits.js';
import { logCacheReads } from './migrations/015_log_cache_reads.js';
import { packagesBuilds } from './migrations/016_packages_builds.js';
import { runnerMemory } from './migrations/017_runner_memory.js';

export type MigrationFactory = (dialect: Store['dialect']) => Migration;

const migrations: Record<string, MigrationFactory> = {
  '001_foundation': foundation,
  '002_tasks': tasks,
  '003_task_counts': taskCounts,
  '004_task_progress': taskProgress,
  '005_task_limits': taskLimits,
  '006_task_dismissal': taskDismissal,
  '007_vsphere_sessions': vsphereSessions,
  '008_droplet_bundles': dropletBundles,
  '011_fair_claims': fairClaims,
  '010_credentials': credentials,
  '009_signing_keys': signingKeys,
  '012_output_budgets': outputBudgets,
  '013_droplet_budgets': dropletBudgets,
  '014_vsphere_session_limits': vsphereSessionLimits,
  '015_log_cache_reads': logCacheReads,
  '016_packages_builds': packagesBuilds,
  '017_runner_memory': runnerMemory,
};

export async function migrateToLatest(store: Store): Promise<void> {
  const { error, results } = await migratorOf(store).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`);
  }
}

/** The migrations of this build that the store has not applied (readiness: none). */
export async function pendingMigrations(store: Store): Promise<string[]> {
  // One small read, not the migrator's getMigrations, which introspects every table first: the
  // readiness probe asks this several times a second.
  const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(store.db);
  const done = new Set(applied.rows.map((r) => r.name));
  return Object.keys(migrations).filter((name) => !done.has(name));
}

function migratorOf(store: Store): Migrator {
  return new Migrator({
    db: store.db,
    // Kysely looks for its own tables across every schema unless told which one is ours.
    ...(store.pgSchema ? { migrationTableSchema: store.pgSchema } : {}),
    provider: {
      getMigrations: async () => Object.fromEntries(Object.entries(migrations).map(([name, make]) => [name, make(store.dialect)])),
    },
  });
}
