// Kysely's SQLite dialect, with one change: a failed transaction is rolled back only if SQLite
// still has it open. On some errors — SQLITE_FULL (disk full), SQLITE_IOERR, SQLITE_NOMEM —
// SQLite rolls the whole transaction back itself; Kysely's ROLLBACK then fails with "cannot
// rollback - no transaction is active", and that error would replace the one that says what
// happened (the disk is full), which callers need to answer it cleanly.
import type SQLite from 'better-sqlite3';
import { SqliteDialect, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';

export class SqliteStoreDialect extends SqliteDialect {
  constructor(
    private readonly sqlite: SQLite.Database,
    config: SqliteDialectConfig,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    const rollback = driver.rollbackTransaction.bind(driver);
    driver.rollbackTransaction = async (connection: DatabaseConnection) => {
      if (this.sqlite.inTransaction) await rollback(connection);
    };
    return driver;
  }
}
