// Serializing writers of one app: an update that changes nothing takes the app's row lock
// (PostgreSQL) or the write lock (SQLite) for the rest of the transaction, so counts made after it
// (droplets awaiting upload, packages, builds staging) cannot be passed by a concurrent writer.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';

export async function lockApp(trx: Transaction<Database> | Kysely<Database>, appId: number): Promise<void> {
  await trx
    .updateTable('apps')
    .set({ updated_at: sql<string>`updated_at` })
    .where('id', '=', appId)
    .execute();
}
