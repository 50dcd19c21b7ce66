// What a running task reports about itself (its progress and messages) and the task tree
// (parent_task_guid). `message_count` is the seq of the task's latest message: taking the next
// seq is an UPDATE of the task row, which serializes concurrent posts of one task on PostgreSQL
// (row lock) as SQLite's single writer does, and lets a task list join each task's latest
// message by primary key.
import { sql, type Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';
import { idType } from './columns.js';

export const taskProgress: MigrationFactory = (dialect) => ({
  async up(db: Kysely<any>) {
    await db.schema.alterTable('tasks').addColumn('progress_percent', 'integer').execute();
    await db.schema.alterTable('tasks').addColumn('progress_message', 'text').execute();
    await db.schema.alterTable('tasks').addColumn('parent_task_guid', 'text').execute();
    await db.schema
      .alterTable('tasks')
      .addColumn('message_count', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    // Cancelling a task finds its subtasks by this.
    await db.schema.createIndex('tasks_parent').on('tasks').column('parent_task_guid').execute();

    await db.schema
      .createTable('task_messages')
      .addColumn('task_id', idType(dialect), (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('time', 'text', (c) => c.notNull())
      // 'task' (posted with the task's own token) or 'runner'
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('task_messages_pk', ['task_id', 'seq'])
      .execute();

    // A task's messages go with it however it is deleted (pruning, its app's deletion), as its
    // labels do (migration 003), so no deleting code path has to remember them.
    const statements =
      dialect === 'postgres'
        ? [
            `create function task_messages_delete() returns trigger language plpgsql as $$
             begin
               delete from task_messages m using old_rows o where m.task_id = o.id;
               return null;
             end $$`,
            `create trigger task_messages_delete after delete on tasks referencing old table as old_rows
             for each statement execute function task_messages_delete()`,
          ]
        : [`create trigger task_messages_delete after delete on tasks begin delete from task_messages where task_id = old.id; end`];
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
});
