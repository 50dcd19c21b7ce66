// What a droplet takes on disk, so an organization's droplets can be held to a budget: its
// expanded tree plus, on PostgreSQL, the bundle kept in the database; while its upload waits to be
// expanded, the received file. Droplets staged before this migration count 0.
import type { Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';

export const dropletBudgets: MigrationFactory = () => ({
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable('droplets')
      .addColumn('stored_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
  },
});
