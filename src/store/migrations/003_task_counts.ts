// Task counts per space and state, and per task label, kept exact by database triggers, so a
// task list's `total_results` costs a few index lookups at a million tasks instead of a COUNT(*)
// over them. Triggers rather than application code: creates, the runner's state changes, app
// deletions and pruning all change tasks, and none of them has to remember the counters.
// Also the indexes the task lists need beyond 002's.
import { sql, type Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';
import { idType } from './columns.js';

export const taskCounts: MigrationFactory = (dialect) => ({
  async up(db: Kysely<any>) {
    const ref = idType(dialect);
    await db.schema
      .createTable('task_counts')
      .addColumn('space_id', ref, (c) => c.notNull())
      // Spaces never change organization; carried so org-scoped counts need no join.
      .addColumn('organization_id', ref, (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('task_counts_pk', ['space_id', 'state'])
      .execute();
    await db.schema.createIndex('task_counts_org').on('task_counts').columns(['organization_id', 'state']).execute();

    // Labels of tasks only, counted across all spaces: what an unscoped `label_selector` list needs.
    await db.schema
      .createTable('task_label_counts')
      .addColumn('key_prefix', 'text', (c) => c.notNull())
      .addColumn('key_name', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('task_label_counts_pk', ['key_prefix', 'key_name', 'value'])
      .execute();

    for (const statement of dialect === 'postgres' ? POSTGRES_TRIGGERS : SQLITE_TRIGGERS) await sql.raw(statement).execute(db);

    // Counts of whatever tasks and labels exist already.
    await sql`insert into task_counts (space_id, organization_id, state, count)
      select space_id, min(organization_id), state, count(*) from tasks group by space_id, state`.execute(db);
    await sql`insert into task_label_counts (key_prefix, key_name, value, count)
      select key_prefix, key_name, value, count(*) from metadata
      where resource_kind = 'task' and metadata_kind = 'label' group by key_prefix, key_name, value`.execute(db);

    // A space's tasks in a state, in insertion order (a space developer's `states=` list).
    await db.schema.createIndex('tasks_space_state').on('tasks').columns(['space_id', 'state', 'id']).execute();
    await db.schema.createIndex('tasks_org_state').on('tasks').columns(['organization_id', 'state', 'id']).execute();
    // An app's tasks in insertion order (GET /v3/apps/:guid/tasks).
    await db.schema.createIndex('tasks_app').on('tasks').columns(['app_id', 'id']).execute();
    // Deep pages walk ids past the offset. PostgreSQL does that on its primary key index; SQLite's
    // rowid order is the table itself, whole rows wide, so a narrow index of ids makes the walk
    // about ten times faster at page 10000 of a million tasks (bench/scratch-task-pages.ts).
    if (dialect === 'sqlite') await db.schema.createIndex('tasks_id').on('tasks').column('id').execute();
  },
});

// SQLite has only row triggers; it has one writer at a time, so there is no lock order to mind.
const SQLITE_TRIGGERS = [
  `create trigger task_counts_insert after insert on tasks begin
     insert into task_counts (space_id, organization_id, state, count) values (new.space_id, new.organization_id, new.state, 1)
       on conflict (space_id, state) do update set count = count + 1;
   end`,
  `create trigger task_counts_update after update of state, space_id, organization_id on tasks
   when old.state is not new.state or old.space_id is not new.space_id begin
     update task_counts set count = count - 1 where space_id = old.space_id and state = old.state;
     insert into task_counts (space_id, organization_id, state, count) values (new.space_id, new.organization_id, new.state, 1)
       on conflict (space_id, state) do update set count = count + 1;
   end`,
  // A task's labels and annotations go with it, so label counts never include deleted tasks.
  `create trigger task_counts_delete after delete on tasks begin
     update task_counts set count = count - 1 where space_id = old.space_id and state = old.state;
     delete from metadata where resource_kind = 'task' and resource_id = old.id;
   end`,
  `create trigger task_label_counts_insert after insert on metadata
   when new.resource_kind = 'task' and new.metadata_kind = 'label' begin
     insert into task_label_counts (key_prefix, key_name, value, count) values (new.key_prefix, new.key_name, new.value, 1)
       on conflict (key_prefix, key_name, value) do update set count = count + 1;
   end`,
  `create trigger task_label_counts_update after update on metadata
   when (old.resource_kind = 'task' and old.metadata_kind = 'label') or (new.resource_kind = 'task' and new.metadata_kind = 'label') begin
     update task_label_counts set count = count - 1
       where old.resource_kind = 'task' and old.metadata_kind = 'label'
         and key_prefix = old.key_prefix and key_name = old.key_name and value = old.value;
     insert into task_label_counts (key_prefix, key_name, value, count)
       select new.key_prefix, new.key_name, new.value, 1 where new.resource_kind = 'task' and new.metadata_kind = 'label'
       on conflict (key_prefix, key_name, value) do update set count = count + 1;
   end`,
  `create trigger task_label_counts_delete after delete on metadata
   when old.resource_kind = 'task' and old.metadata_kind = 'label' begin
     update task_label_counts set count = count - 1 where key_prefix = old.key_prefix and key_name = old.key_name and value = old.value;
   end`,
];

// PostgreSQL: statement triggers over transition tables. One statement that changes many tasks
// (cancelling an app's tasks, pruning) applies one net change per counter, and always in key
// order, so concurrent writers take counter row locks in the same order and cannot deadlock.
// Each event gets its own function because a trigger only has the transition tables its event
// provides.
type Event = 'insert' | 'update' | 'delete';
const TRANSITIONS: Record<Event, string> = {
  insert: 'referencing new table as new_rows',
  update: 'referencing old table as old_rows new table as new_rows',
  delete: 'referencing old table as old_rows',
};

/** The changed rows as (columns, delta): +1 for each new row, -1 for each old one. */
function deltas(event: Event, columns: string, where: string): string {
  const parts = [];
  if (event !== 'delete') parts.push(`select ${columns}, 1 as delta from new_rows where ${where}`);
  if (event !== 'insert') parts.push(`select ${columns}, -1 as delta from old_rows where ${where}`);
  return parts.join(' union all ');
}

function taskCountsTrigger(event: Event): string[] {
  const cols = 'space_id, organization_id, state';
  return [
    `create function task_counts_${event}() returns trigger language plpgsql as $$
     begin
       ${
         event === 'delete'
           ? `-- A task's labels and annotations go with it, so label counts never include deleted tasks.
       delete from metadata m using old_rows o where m.resource_kind = 'task' and m.resource_id = o.id;`
           : ''
       }
       insert into task_counts as c (${cols}, count)
         select ${cols}, sum(delta) from (${deltas(event, cols, 'true')}) d
         group by ${cols} having sum(delta) <> 0 order by space_id, state
         on conflict (space_id, state) do update set count = c.count + excluded.count;
       return null;
     end $$`,
    `create trigger task_counts_${event} after ${event} on tasks ${TRANSITIONS[event]}
     for each statement execute function task_counts_${event}()`,
  ];
}

function taskLabelCountsTrigger(event: Event): string[] {
  const cols = 'key_prefix, key_name, value';
  return [
    `create function task_label_counts_${event}() returns trigger language plpgsql as $$
     begin
       insert into task_label_counts as c (${cols}, count)
         select ${cols}, sum(delta) from (${deltas(event, cols, "resource_kind = 'task' and metadata_kind = 'label'")}) d
         group by ${cols} having sum(delta) <> 0 order by ${cols}
         on conflict (${cols}) do update set count = c.count + excluded.count;
       return null;
     end $$`,
    `create trigger task_label_counts_${event} after ${event} on metadata ${TRANSITIONS[event]}
     for each statement execute function task_label_counts_${event}()`,
  ];
}

const EVENTS: Event[] = ['insert', 'update', 'delete'];
const POSTGRES_TRIGGERS = [...EVENTS.flatMap(taskCountsTrigger), ...EVENTS.flatMap(taskLabelCountsTrigger)];
