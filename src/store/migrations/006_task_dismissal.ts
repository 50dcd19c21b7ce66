// Dismissal (Dbvisit's "Dismissed" tasks, hidden from its lists unless asked for): who dismissed
// a finished task and when. Also the indexes the shared task query (fetchers/task-query.ts) walks
// for its most common keyset order, creation time then id, for every task (admins) and within a
// space or an org (the scope of most users, Astra's accounts): 002's (created_at, guid) index
// cannot serve the id tiebreak, and without the scoped ones every page would sort all of the
// space's tasks.
import type { Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';

export const taskDismissal: MigrationFactory = () => ({
  async up(db: Kysely<any>) {
    await db.schema.alterTable('tasks').addColumn('dismissed_by', 'text').execute();
    await db.schema.alterTable('tasks').addColumn('dismissed_at', 'text').execute();
    await db.schema.createIndex('tasks_created_at_id').on('tasks').columns(['created_at', 'id']).execute();
    await db.schema.createIndex('tasks_space_created_at').on('tasks').columns(['space_id', 'created_at', 'id']).execute();
    await db.schema.createIndex('tasks_org_created_at').on('tasks').columns(['organization_id', 'created_at', 'id']).execute();
  },
});
