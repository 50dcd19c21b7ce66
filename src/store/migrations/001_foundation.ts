// Users, organizations, spaces, roles, apps, droplets, processes, jobs, feature flags, quotas,
// metadata and settings: everything a task needs before it can be created.
import { sql, type Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';
import { idType, withId } from './columns.js';

export const foundation: MigrationFactory = (dialect) => ({
  async up(db: Kysely<any>) {
    const ref = idType(dialect);
    const ts = (t: any) =>
      t.addColumn('created_at', 'text', (c: any) => c.notNull()).addColumn('updated_at', 'text', (c: any) => c.notNull());

    await ts(
      withId(db.schema.createTable('users'), dialect)
        .addColumn('guid', 'text', (c) => c.notNull().unique())
        .addColumn('username', 'text', (c) => c.unique())
        .addColumn('origin', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('')),
    ).execute();

    await ts(
      withId(db.schema.createTable('quotas'), dialect)
        .addColumn('guid', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('organization_id', ref)
        .addColumn('total_memory_in_mb', 'integer')
        .addColumn('per_process_memory_in_mb', 'integer')
        .addColumn('log_rate_limit_in_bytes_per_second', 'bigint')
        .addColumn('total_instances', 'integer')
        .addColumn('per_app_tasks', 'integer'),
    ).execute();
    // Organization quota names are unique overall, space quota names within their organization.
    await db.schema
      .createIndex('quotas_kind_org_name_unique')
      .on('quotas')
      .unique()
      .expression(sql`kind, coalesce(organization_id, 0), lower(name)`)
      .execute();

    await ts(
      withId(db.schema.createTable('organizations'), dialect)
        .addColumn('guid', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('suspended', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
        .addColumn('quota_id', ref, (c) => c.references('quotas.id')),
    ).execute();
    await db.schema
      .createIndex('organizations_name_unique')
      .on('organizations')
      .unique()
      .expression(sql`lower(name)`)
      .execute();

    await ts(
      withId(db.schema.createTable('spaces'), dialect)
        .addColumn('guid', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('organization_id', ref, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('quota_id', ref, (c) => c.references('quotas.id'))
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('active')),
    ).execute();
    await db.schema
      .createIndex('spaces_org_name_unique')
      .on('spaces')
      .unique()
      .expression(sql`organization_id, lower(name)`)
      .execute();

    await ts(
      withId(db.schema.createTable('roles'), dialect)
        .addColumn('guid', 'text', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('user_id', ref, (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('organization_id', ref, (c) => c.references('organizations.id').onDelete('cascade'))
        .addColumn('space_id', ref, (c) => c.references('spaces.id').onDelete('cascade')),
    ).execute();
    await db.schema.createIndex('roles_user').on('roles').columns(['user_id', 'type']).execute();
    await db.schema.createIndex('roles_org').on('roles').columns(['organization_id', 'user_id', 'type']).unique().execute();
    await db.schema.createIndex('roles_space').on('roles').columns(['space_id', 'user_id', 'type']).unique().execute();

    await ts(
      withId(db.schema.createTable('apps'), dialect)
        .addColumn('guid', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('space_id', ref, (c) => c.notNull().references('spaces.id').onDelete('cascade'))
        .addColumn('state', 'text', (c) => c.notNull().defaultTo('STOPPED'))
        .addColumn('lifecycle_type', 'text', (c) => c.notNull().defaultTo('buildpack'))
        .addColumn('stack', 'text')
        .addColumn('lifecycle_data', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('environment_variables', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('current_droplet_id', ref)
        .addColumn('next_task_sequence_id', 'integer', (c) => c.notNull().defaultTo(1)),
    ).execute();
    await db.schema
      .createIndex('apps_space_name_unique')
      .on('apps')
      .unique()
      .expression(sql`space_id, lower(name)`)
      .execute();

    await ts(
      withId(db.schema.createTable('droplets'), dialect)
        .addColumn('guid', 'text', (c) => c.notNull().unique())
        .addColumn('app_id', ref, (c) => c.notNull().references('apps.id').onDelete('cascade'))
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('process_types', 'text', (c) => c.notNull())
        .addColumn('execution_metadata', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('checksum_sha256', 'text'),
    ).execute();
    await db.schema.createIndex('droplets_app').on('droplets').columns(['app_id', 'id']).execute();

    await ts(
      withId(db.schema.createTable('processes'), dialect)
        .addColumn('guid', 'text', (c) => c.notNull().unique())
        .addColumn('app_id', ref, (c) => c.notNull().references('apps.id').onDelete('cascade'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('command', 'text')
        .addColumn('user', 'text')
        .addColumn('instances', 'integer', (c) => c.notNull())
        .addColumn('memory_in_mb', 'integer', (c) => c.notNull())
        .addColumn('disk_in_mb', 'integer', (c) => c.notNull())
        .addColumn('log_rate_limit', 'bigint', (c) => c.notNull()),
    ).execute();
    await db.schema.createIndex('processes_app_type').on('processes').columns(['app_id', 'type']).unique().execute();

    await ts(
      withId(db.schema.createTable('jobs'), dialect)
        .addColumn('guid', 'text', (c) => c.notNull().unique())
        .addColumn('operation', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('errors', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('resource_type', 'text', (c) => c.notNull())
        .addColumn('resource_guid', 'text', (c) => c.notNull()),
    ).execute();

    await db.schema
      .createTable('feature_flags')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('custom_error_message', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await withId(db.schema.createTable('metadata'), dialect)
      .addColumn('resource_kind', 'text', (c) => c.notNull())
      .addColumn('resource_id', ref, (c) => c.notNull())
      .addColumn('metadata_kind', 'text', (c) => c.notNull())
      .addColumn('key_prefix', 'text', (c) => c.notNull())
      .addColumn('key_name', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('metadata_resource_key')
      .on('metadata')
      .columns(['resource_kind', 'resource_id', 'metadata_kind', 'key_prefix', 'key_name'])
      .unique()
      .execute();
    // Serves label selectors: find resources by key (and value).
    await db.schema
      .createIndex('metadata_selector')
      .on('metadata')
      .columns(['resource_kind', 'metadata_kind', 'key_prefix', 'key_name', 'value', 'resource_id'])
      .execute();

    await db.schema
      .createTable('settings')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
});
