// Fair claims (store/tasks/transitions.ts claimTasks). Two things, so that a claim costs a few
// rows per waiting space however many tasks wait (a burst of 100,000 from one tenant):
// - task_queue: the PENDING tasks alone, keyed (space_id, id), kept exact by triggers on tasks as
//   migration 003's counters are. A claim takes each waiting space's oldest from its key, the only
//   index the table has: on tasks themselves PostgreSQL's planner may walk the primary key or
//   another (space_id, …) index past every waiting task instead (seen: 100 ms a claim at 100,000,
//   and worse with statistics that predate a burst). memory_in_mb is carried for the memory bound.
// - the spaces that have PENDING tasks are read from migration 003's counters, through an index on
//   (state, count), so finding who waits costs the number of waiting spaces.
import { sql, type Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';
import { idType } from './columns.js';

export const fairClaims: MigrationFactory = (dialect) => ({
  async up(db: Kysely<any>) {
    const ref = idType(dialect);
    const queue = db.schema
      .createTable('task_queue')
      .addColumn('space_id', ref, (c) => c.notNull())
      .addColumn('id', ref, (c) => c.notNull())
      .addColumn('memory_in_mb', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('task_queue_pk', ['space_id', 'id']);
    // SQLite: the rows live in the key itself; there is no other order to pick.
    await (dialect === 'sqlite' ? queue.modifyEnd(sql`without rowid`) : queue).execute();
    for (const statement of dialect === 'postgres' ? POSTGRES_TRIGGERS : SQLITE_TRIGGERS) await sql.raw(statement).execute(db);
    await sql`insert into task_queue (space_id, id, memory_in_mb)
      select space_id, id, memory_in_mb from tasks where state = 'PENDING'`.execute(db);
    await db.schema.createIndex('task_counts_state_count').on('task_counts').columns(['state', 'count']).execute();
  },
});

// A task enters the queue PENDING and leaves it with its first other state or its deletion; no
// task returns to PENDING, and a task's space and memory never change.
const SQLITE_TRIGGERS = [
  `create trigger task_queue_insert after insert on tasks when new.state = 'PENDING' begin
     insert into task_queue (space_id, id, memory_in_mb) values (new.space_id, new.id, new.memory_in_mb);
   end`,
  `create trigger task_queue_update after update of state on tasks
   when old.state = 'PENDING' and new.state is not 'PENDING' begin
     delete from task_queue where space_id = old.space_id and id = old.id;
   end`,
  `create trigger task_queue_delete after delete on tasks when old.state = 'PENDING' begin
     delete from task_queue where space_id = old.space_id and id = old.id;
   end`,
];

// Row triggers: each touches its own task's queue row, so concurrent writers never wait on one
// another here (unlike the shared counters, which need statement triggers and a lock order).
const POSTGRES_TRIGGERS = [
  `create function task_queue_enter() returns trigger language plpgsql as $$
   begin
     insert into task_queue (space_id, id, memory_in_mb) values (new.space_id, new.id, new.memory_in_mb);
     return null;
   end $$`,
  `create function task_queue_leave() returns trigger language plpgsql as $$
   begin
     delete from task_queue where space_id = old.space_id and id = old.id;
     return null;
   end $$`,
  `create trigger task_queue_insert after insert on tasks for each row when (new.state = 'PENDING')
   execute function task_queue_enter()`,
  `create trigger task_queue_update after update of state on tasks for each row
   when (old.state = 'PENDING' and new.state is distinct from 'PENDING') execute function task_queue_leave()`,
  `create trigger task_queue_delete after delete on tasks for each row when (old.state = 'PENDING')
   execute function task_queue_leave()`,
];
