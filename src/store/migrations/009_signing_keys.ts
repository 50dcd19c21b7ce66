// Token signing keys leave the settings table (issue 17): RS256 key pairs with a `kid` each, the
// private key encrypted (AES-256-GCM) under the secret key file, which is not in the database.
// The HS256 secret kept in `settings` is deleted: a copy of the database forged tokens with it.
// Tokens signed with it stop working; their holders log in again.
import type { Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';

export const signingKeys: MigrationFactory = () => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('signing_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('public_pem', 'text', (c) => c.notNull())
      // `v1.<iv>.<tag>.<ciphertext>` of the PKCS#8 private key, the kid authenticated with it.
      .addColumn('private_encrypted', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      // Null while the key is the newest; once replaced, when the last token it signed expires.
      .addColumn('retire_after', 'text')
      .execute();
    await db.deleteFrom('settings').where('name', '=', 'token_signing_key').execute();
  },
});
