// Each runner's memory for tasks (TASKD_RUNNER_MEMORY_MB; null when only its slots bound it), so
// that a create on any node can tell a task no live runner could ever take (issue 21 item 10).
import type { Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';

export const runnerMemory: MigrationFactory = () => ({
  async up(db: Kysely<any>) {
    await db.schema.alterTable('runners').addColumn('memory_mb', 'integer').execute();
  },
});
