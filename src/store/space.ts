// Giving disk space back. SQLite keeps the pages of deleted rows in its file for reuse and never
// shrinks it by itself: a task that stored a gigabyte of output left a gigabyte file behind when
// its app was deleted. With auto_vacuum = INCREMENTAL the file can be shrunk a step at a time
// (PRAGMA incremental_vacuum) without VACUUM's copy of the whole database and its long lock;
// upkeep (maintenance.ts) does so every few minutes (Store.reclaimFreeSpace). PostgreSQL's
// autovacuum makes deleted rows' space reusable within its tables: nothing to do there.
import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** SQLite's auto_vacuum values: 0 none, 1 full, 2 incremental. */
const INCREMENTAL = 2;
/** Pages freed per statement (16 MiB of 4 KiB pages): each is a short write, so API writes interleave. */
const PAGES_PER_STEP = 4096;

/**
 * Makes a SQLite database shrinkable. A new one gets auto_vacuum before its first table (which is
 * when it takes effect); one made before this needs a VACUUM once, which rewrites the file (415 MB
 * took 40 s on a busy 2-core machine) and is done at start, before anything else uses it. Returns
 * the milliseconds that VACUUM took, or 0 when none was needed or it could not be done.
 */
export function enableIncrementalVacuum(sqlite: SQLite.Database): number {
  if (sqlite.pragma('auto_vacuum', { simple: true }) === INCREMENTAL) return 0;
  sqlite.pragma('auto_vacuum = INCREMENTAL');
  const tables = sqlite.prepare("select count(*) from sqlite_schema where type = 'table'").pluck().get() as number;
  // Empty: the setting takes effect with the first table.
  if (tables === 0) return 0;
  const started = performance.now();
  try {
    sqlite.exec('VACUUM');
  } catch {
    // VACUUM needs free space about the size of the database: on a disk too full for it taskd
    // starts all the same, and tries again at its next start.
    return 0;
  }
  return performance.now() - started;
}

/**
 * Returns a SQLite database's free pages to the file system, a step at a time (each a short write
 * holding the store's one connection, so the API's statements run between them), then truncates
 * the write-ahead log the moved pages passed through. Returns the bytes given back; 0 on a
 * database without incremental vacuum. Run through exec: a prepared `incremental_vacuum` frees
 * one page per step.
 */
export async function reclaimFreeSpace(sqlite: SQLite.Database, db: Kysely<Database>): Promise<number> {
  // Kysely's SQLite driver hands its one connection to one user at a time: holding it, nothing
  // else is in a transaction on it.
  const holding = <T>(work: () => T): Promise<T> => db.connection().execute(async () => work());
  const pragma = (name: string) => Number(sqlite.pragma(name, { simple: true }));
  if ((await holding(() => pragma('auto_vacuum'))) !== INCREMENTAL) return 0;
  const before = await holding(() => pragma('page_count'));
  for (let free = await holding(() => pragma('freelist_count')); free > 0;) {
    const left = await holding(() => {
      sqlite.exec(`pragma incremental_vacuum(${PAGES_PER_STEP})`);
      return pragma('freelist_count');
    });
    // Nothing moved: tried again at the next upkeep.
    if (left >= free) break;
    free = left;
  }
  return holding(() => {
    const after = pragma('page_count');
    if (after < before) sqlite.pragma('wal_checkpoint(TRUNCATE)');
    return (before - after) * pragma('page_size');
  });
}
