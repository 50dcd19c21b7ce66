// vSphere Automation sessions (specs/dialects.md §5): server-side, so DELETE really ends one and
// every taskd node sharing the database honours it. Only the sha-256 of a session id is kept: a
// copy of the database opens no session.
import type { Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';

export const vsphereSessions: MigrationFactory = () => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('vsphere_sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_guid', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_accessed_at', 'text', (c) => c.notNull())
      .execute();
    // Idle sessions are swept by this.
    await db.schema.createIndex('vsphere_sessions_last_accessed').on('vsphere_sessions').column('last_accessed_at').execute();
  },
});
