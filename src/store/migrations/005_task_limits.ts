// What enforcing a task's limits leaves to keep: the bytes of its output dropped over its log
// rate limit (the notice lines in its log say so too, but logs can be cut short; this count
// cannot).
import type { Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';

export const taskLimits: MigrationFactory = () => ({
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable('tasks')
      .addColumn('log_bytes_dropped', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
  },
});
