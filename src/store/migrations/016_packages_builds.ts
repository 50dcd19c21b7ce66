// Packages and builds (`cf push`): a package is an app's source as uploaded (the cf CLI sends a
// zip), kept checked and converted to a droplet bundle; a build stages a package into a new
// droplet. A package's bundle lives in the data directory and, on PostgreSQL, in the database too
// (in parts, as droplet bundles), so that a build on another node can read it.
import type { Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';
import { idType, withId } from './columns.js';

export const packagesBuilds: MigrationFactory = (dialect) => ({
  async up(db: Kysely<any>) {
    const ref = idType(dialect);
    await withId(db.schema.createTable('packages'), dialect)
      .addColumn('guid', 'text', (c) => c.notNull().unique())
      .addColumn('app_id', ref, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('checksum_sha256', 'text')
      // Counted in the organization's droplet budget with its droplets (actions/droplet-storage.ts).
      .addColumn('stored_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('packages_app').on('packages').columns(['app_id', 'state', 'id']).execute();
    await db.schema
      .createTable('package_bundles')
      .addColumn('package_id', ref, (c) => c.notNull().references('packages.id').onDelete('cascade'))
      .addColumn('part', 'integer', (c) => c.notNull())
      .addColumn('bytes', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
      .addPrimaryKeyConstraint('package_bundles_pk', ['package_id', 'part'])
      .execute();
    await withId(db.schema.createTable('builds'), dialect)
      .addColumn('guid', 'text', (c) => c.notNull().unique())
      .addColumn('app_id', ref, (c) => c.notNull().references('apps.id').onDelete('cascade'))
      // Guids, not references: a build tells what it was made of and into after either is deleted.
      .addColumn('package_guid', 'text', (c) => c.notNull())
      .addColumn('droplet_guid', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('lifecycle_type', 'text', (c) => c.notNull())
      .addColumn('lifecycle_data', 'text', (c) => c.notNull())
      .addColumn('staging_memory_in_mb', 'integer', (c) => c.notNull())
      .addColumn('staging_disk_in_mb', 'integer', (c) => c.notNull())
      .addColumn('created_by_guid', 'text')
      .addColumn('created_by_name', 'text')
      .addColumn('created_by_email', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    // What staged a droplet, JSON {buildpacks, stack}: null for droplets uploaded as they are.
    await db.schema.alterTable('droplets').addColumn('staged_with', 'text').execute();
    await db.schema.createIndex('builds_app').on('builds').columns(['app_id', 'state', 'id']).execute();
    await db.schema.createIndex('builds_droplet').on('builds').column('droplet_guid').execute();
  },
});
