// Kysely's SQLite driver prepares every query afresh; preparing costs about as much as running a
// small query. taskd issues the same few hundred statements over and over, so prepared statements
// are kept, least recently used dropped first. Safe because better-sqlite3 runs each statement to
// completion synchronously (taskd never streams from SQLite).
import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

export function withStatementCache(sqlite: SQLite.Database, capacity = 500): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string): SqliteStatement {
      let statement = cache.get(sql);
      if (statement) {
        // Re-inserted to mark it recently used (a Map iterates in insertion order).
        cache.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (cache.size >= capacity) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}
