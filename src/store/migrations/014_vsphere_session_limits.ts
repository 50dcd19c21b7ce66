// vSphere session limits (issue 17): a login counts the user's live sessions, and the
// maintenance loop deletes those past their maximum age as well as the idle ones.
import type { Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';

export const vsphereSessionLimits: MigrationFactory = () => ({
  async up(db: Kysely<any>) {
    // A login reads the user's sessions (to count them and to drop their expired ones).
    await db.schema.createIndex('vsphere_sessions_user').on('vsphere_sessions').columns(['user_guid', 'last_accessed_at']).execute();
    // The sweep of sessions past their maximum age (idle ones have vsphere_sessions_last_accessed).
    await db.schema.createIndex('vsphere_sessions_created').on('vsphere_sessions').column('created_at').execute();
  },
});
