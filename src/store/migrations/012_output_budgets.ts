// Output budgets (config: taskOutputMaxBytes/Lines, orgOutputMaxMb): each task counts the bytes
// and lines of output stored for it as each batch is stored, so the budgets are checked without
// summing lines, and a task taken back after a restart goes on from what is stored rather than
// from zero. An org's use is the sum over its tasks (tasks_org_created_at narrows it to them);
// a task's count goes with its row, so deleting tasks gives the org's budget back with no counter
// to keep right. Tasks stored before this migration are counted once here.
import { sql, type Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';

export const outputBudgets: MigrationFactory = (dialect) => ({
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable('tasks')
      .addColumn('output_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .alterTable('tasks')
      .addColumn('output_lines', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable('tasks').addColumn('output_truncated', 'text').execute();
    // Bytes as the runner counts them: the UTF-8 length of each line's text.
    const bytes = dialect === 'postgres' ? sql`octet_length(l.text)` : sql`length(cast(l.text as blob))`;
    await sql`
      update tasks set
        output_bytes = (select coalesce(sum(${bytes}), 0) from task_log_lines l where l.task_id = tasks.id),
        output_lines = (select count(*) from task_log_lines l where l.task_id = tasks.id)
      where exists (select 1 from task_log_lines l where l.task_id = tasks.id)`.execute(db);
  },
});
