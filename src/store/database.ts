// Opens the store: embedded SQLite (a WAL-mode file in the data directory) by default, or
// PostgreSQL when a postgres:// URL is given. Everything above this file is dialect-neutral.
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { migrateToLatest } from './migrate.js';
import { withStatementCache } from './statement-cache.js';
import { SqliteStoreDialect } from './sqlite-dialect.js';
import { OwnSchemaPostgresDialect } from './own-schema-introspector.js';
import { enableIncrementalVacuum, reclaimFreeSpace } from './space.js';
import { createOwnerOnlyFile, ensurePrivateDirectory, refuseWiderThanOwnerOnly } from './file-modes.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  /** The PostgreSQL schema in use when not `public`. */
  pgSchema?: string;
  /** Refreshes the planner's statistics where the database does not do it itself. */
  optimize(): Promise<void>;
  /** Gives the space of deleted rows back to the file system where the database does not (store/space.ts); returns the bytes. */
  reclaimFreeSpace(): Promise<number>;
  close(): Promise<void>;
}

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string;
  /** PostgreSQL schema to use instead of `public` (tests give each run its own). */
  pgSchema?: string;
  poolSize?: number;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const store = options.databaseUrl ? openPostgres(options.databaseUrl, options) : openSqlite(options.dataDir);
  try {
    await migrateToLatest(store);
    await store.optimize();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

function openSqlite(dataDir: string): Store {
  ensurePrivateDirectory(dataDir);
  const file = path.join(dataDir, 'taskd.db');
  // The database holds password hashes and tenants' data: 0600. SQLite makes its WAL and shared
  // memory files with the database file's mode, so the file is made 0600 before SQLite opens it.
  for (const own of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) refuseWiderThanOwnerOnly(own);
  createOwnerOnlyFile(file);
  const sqlite = new SQLite(file);
  // Before WAL mode and any table: after those, only a VACUUM makes the file shrinkable.
  enableIncrementalVacuum(sqlite);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Writers from the runner and the API share one file; wait for a lock instead of failing.
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteStoreDialect(sqlite, { database: withStatementCache(sqlite) }) });
  // SQLite keeps no statistics unless asked, and without them it can pick a poor index once tables
  // grow (e.g. scanning every label to load a page's metadata). The recommended upkeep for a
  // long-lived connection: a bounded `PRAGMA optimize` at open and now and then.
  sqlite.pragma('analysis_limit = 400');
  const optimize = async () => void sqlite.pragma('optimize = 0x10002');
  return { db, dialect: 'sqlite', optimize, reclaimFreeSpace: () => reclaimFreeSpace(sqlite, db), close: () => db.destroy() };
}

function openPostgres(url: string, options: StoreOptions): Store {
  // int8 (bigint ids, COUNT(*)) arrives as a string by default; our ids stay far below 2^53.
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'),
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types,
    options: options.pgSchema ? `-c search_path=${options.pgSchema}` : undefined,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new OwnSchemaPostgresDialect({ pool }) });
  // PostgreSQL's autovacuum keeps the statistics.
  return {
    db,
    dialect: 'postgres',
    pgSchema: options.pgSchema,
    optimize: async () => {},
    reclaimFreeSpace: async () => 0,
    close: () => db.destroy(),
  };
}
