// Column helpers that differ between SQLite and PostgreSQL, so migrations read the same for both.
import type { CreateTableBuilder } from 'kysely';
import type { Store } from '../database.js';

/** A monotonic integer primary key named `id`. */
export function withId<T extends string>(table: CreateTableBuilder<T, never>, dialect: Store['dialect']) {
  return dialect === 'postgres'
    ? table.addColumn('id', 'bigserial', (c) => c.primaryKey())
    : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

/** The integer type used for foreign keys to `id` columns. */
export const idType = (dialect: Store['dialect']) => (dialect === 'postgres' ? 'bigint' : 'integer');
