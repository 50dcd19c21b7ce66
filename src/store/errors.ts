/** A unique constraint was violated (SQLite or PostgreSQL). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** Error codes that mean "no space left" wherever taskd stores things. */
const STORAGE_FULL_CODES = new Set([
  // SQLite could not grow its database or write-ahead log.
  'SQLITE_FULL',
  // A file write in the data directory (droplet bits, spools, working directories); EDQUOT: over quota.
  'ENOSPC',
  'EDQUOT',
  // PostgreSQL's disk_full.
  '53100',
]);

/**
 * Whether an error means the store or the data directory is out of space: SQLite's SQLITE_FULL,
 * a file write's ENOSPC or EDQUOT, PostgreSQL's disk_full (53100), or an error caused by one.
 * Such a failure is the operator's to fix and passes once space is freed, so callers answer it
 * as a clean "service unavailable" rather than an unexpected error.
 */
export function isStorageFull(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (STORAGE_FULL_CODES.has(String((e as { code?: unknown }).code))) return true;
  }
  return false;
}
