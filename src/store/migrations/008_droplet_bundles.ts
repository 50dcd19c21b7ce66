// Droplet bundles in the database (PostgreSQL): taskd nodes on different hosts share one database
// and nothing else, so a runner node must be able to get the bits of a droplet uploaded to another
// node. The bundle is kept as uploaded (checked, still compressed), in parts, and goes with its
// droplet (the foreign key cascades from apps, spaces and organizations too).
import type { Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';
import { idType } from './columns.js';

export const dropletBundles: MigrationFactory = (dialect) => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('droplet_bundles')
      .addColumn('droplet_id', idType(dialect), (c) => c.notNull().references('droplets.id').onDelete('cascade'))
      .addColumn('part', 'integer', (c) => c.notNull())
      .addColumn('bytes', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
      .addPrimaryKeyConstraint('droplet_bundles_pk', ['droplet_id', 'part'])
      .execute();
  },
});
