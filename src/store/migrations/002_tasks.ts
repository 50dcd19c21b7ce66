// Tasks, their output, the audit events their changes write, idempotency keys for creates, and
// the runners that execute them.
import { sql, type Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';
import { idType, withId } from './columns.js';

export const tasks: MigrationFactory = (dialect) => ({
  async up(db: Kysely<any>) {
    const ref = idType(dialect);

    await withId(db.schema.createTable('tasks'), dialect)
      .addColumn('guid', 'text', (c) => c.notNull().unique())
      .addColumn('app_id', ref, (c) => c.notNull())
      // Denormalised from the app so permission-scoped lists filter one table.
      .addColumn('space_id', ref, (c) => c.notNull())
      .addColumn('organization_id', ref, (c) => c.notNull())
      .addColumn('sequence_id', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('command', 'text', (c) => c.notNull())
      .addColumn('user', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('memory_in_mb', 'integer', (c) => c.notNull())
      .addColumn('disk_in_mb', 'integer', (c) => c.notNull())
      .addColumn('log_rate_limit', 'bigint', (c) => c.notNull())
      .addColumn('droplet_guid', 'text', (c) => c.notNull())
      .addColumn('failure_reason', 'text')
      .addColumn('exit_status', 'integer')
      .addColumn('timeout_seconds', 'integer')
      .addColumn('created_by', 'text')
      .addColumn('runner_id', 'text')
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .addColumn('cancel_requested_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    // Sequence ids are unique per app (spec §9).
    await db.schema.createIndex('tasks_app_sequence').on('tasks').columns(['app_id', 'sequence_id']).unique().execute();
    // Lists: scoped by space or org, optionally by state, in insertion order or by a timestamp.
    await db.schema.createIndex('tasks_space').on('tasks').columns(['space_id', 'id']).execute();
    await db.schema.createIndex('tasks_org').on('tasks').columns(['organization_id', 'id']).execute();
    await db.schema.createIndex('tasks_state').on('tasks').columns(['state', 'id']).execute();
    await db.schema.createIndex('tasks_created_at').on('tasks').columns(['created_at', 'guid']).execute();
    await db.schema.createIndex('tasks_updated_at').on('tasks').columns(['updated_at', 'guid']).execute();
    await db.schema
      .createIndex('tasks_name')
      .on('tasks')
      .expression(sql`lower(name)`)
      .execute();

    // Output lines of a task, in the order the runner read them.
    await db.schema
      .createTable('task_log_lines')
      .addColumn('task_id', ref, (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('time', 'text', (c) => c.notNull())
      .addColumn('stream', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('task_log_lines_pk', ['task_id', 'seq'])
      .execute();

    await withId(db.schema.createTable('audit_events'), dialect)
      .addColumn('guid', 'text', (c) => c.notNull().unique())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('actor_guid', 'text', (c) => c.notNull())
      .addColumn('actor_type', 'text', (c) => c.notNull())
      .addColumn('actor_name', 'text')
      .addColumn('target_guid', 'text', (c) => c.notNull())
      .addColumn('target_type', 'text', (c) => c.notNull())
      .addColumn('target_name', 'text')
      .addColumn('space_id', ref)
      .addColumn('organization_id', ref)
      .addColumn('space_guid', 'text')
      .addColumn('organization_guid', 'text')
      // JSON object.
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_events_type').on('audit_events').columns(['type', 'id']).execute();
    await db.schema.createIndex('audit_events_target').on('audit_events').columns(['target_guid', 'id']).execute();

    // A create retried with the same Idempotency-Key finds its task through this unique key.
    await db.schema
      .createTable('task_idempotency_keys')
      .addColumn('user_guid', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('task_id', ref, (c) => c.notNull())
      // The first answer (presented task, JSON), replayed to a retry of the same request.
      .addColumn('response', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('task_idempotency_keys_pk', ['user_guid', 'key'])
      .execute();

    // Live runners: each heartbeats its row; create refuses tasks when none is alive.
    await db.schema
      .createTable('runners')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('hostname', 'text', (c) => c.notNull())
      .addColumn('pid', 'integer', (c) => c.notNull())
      .addColumn('slots', 'integer', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('heartbeat_at', 'text', (c) => c.notNull())
      .execute();
  },
});
