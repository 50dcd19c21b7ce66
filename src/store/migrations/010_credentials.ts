// Credentials that can be revoked (issue 17), as UAA revokes them:
// - users.token_generation: every token carries the generation its user had when it was issued,
//   and is honoured only while the user still has it. Changing a password or revoking all of a
//   user's tokens adds one, so every token issued before stops working on every node at once
//   (identify already reads the user's row on each request: no extra query).
// - token_sessions: one row per login (OAuth's refresh token "family"). Every token of the login
//   names it (claim `sid`); revoking the login deletes the row. The row keeps the id of the one
//   refresh token that may be used next: each refresh replaces it (rotation), and presenting one
//   already used revokes the whole login (reuse detection, OAuth 2.0 Security BCP §4.14.2),
//   except the one just replaced, for a few seconds (previous_refresh_jti, rotated_at): a
//   dashboard's parallel requests all meet an expired token at once and all refresh with it.
import type { Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';

export const credentials: MigrationFactory = () => ({
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable('users')
      .addColumn('token_generation', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createTable('token_sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_guid', 'text', (c) => c.notNull())
      .addColumn('refresh_jti', 'text', (c) => c.notNull())
      .addColumn('previous_refresh_jti', 'text')
      .addColumn('rotated_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    // A user's logins: revoked all at once, and the expired ones pruned at their next login.
    await db.schema.createIndex('token_sessions_user_guid').on('token_sessions').columns(['user_guid', 'expires_at']).execute();
  },
});
