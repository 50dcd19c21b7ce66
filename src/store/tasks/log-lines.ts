// Every write to task_log_lines: the runner's batches of a task's output (counted in the task's
// output_bytes and output_lines, migration 012), the line that says the rest was not kept, and the
// removal of a task's lines when it goes (removal.ts) or was deleted while it ran.
import { CompiledQuery, type Kysely } from 'kysely';
import type { Database, TaskLogLinesTable } from '../schema.js';

/** The number of the last line stored for a task: a reattached task's output goes on after it. */
export async function lastStoredSeq(db: Kysely<Database>, taskId: number): Promise<number> {
  const row = await db
    .selectFrom('task_log_lines')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('task_id', '=', taskId)
    .executeTakeFirst();
  return Number(row?.seq ?? 0);
}

/**
 * Stores a batch of a task's lines and counts them (`bytes`: their texts' UTF-8 length) in the
 * task's output_bytes and output_lines, in one transaction, so the counts are what is stored and a
 * restart goes on from them. A line told again (replayed after a restart) is stored once, by its
 * number. The UPDATE touches only the task's own row, which no other runner writes.
 */
export async function insertLogLines(db: Kysely<Database>, taskId: number, batch: TaskLogLinesTable[], bytes: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.executeQuery(insertLines(db, batch)); // compiled SQL is cached per store, not per transaction
    await trx
      .updateTable('tasks')
      .set((eb) => ({ output_bytes: eb('output_bytes', '+', bytes), output_lines: eb('output_lines', '+', batch.length) }))
      .where('id', '=', taskId)
      .execute();
  });
}

/**
 * Records that the task's later output is not kept, and stores its last line (`marker`) saying so.
 * True only the first time (the row guards it), so the task is told once, however often its
 * writer is made again after restarts; false too when the task is gone.
 */
export async function markOutputTruncated(
  db: Kysely<Database>,
  taskId: number,
  reason: string,
  marker: TaskLogLinesTable,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const marked = await trx
      .updateTable('tasks')
      .set({ output_truncated: reason })
      .where('id', '=', taskId)
      .where('output_truncated', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!marked) return false;
    await trx.executeQuery(insertLines(db, [marker]));
    return true;
  });
}

/**
 * Bytes of output stored for an organization's tasks: the sum of their counts (tasks_org_created_at
 * leads to them), never of their lines. The runner reads it every few seconds, not per batch.
 */
export async function organizationOutputBytes(db: Kysely<Database>, organizationId: number): Promise<number> {
  const row = await db
    .selectFrom('tasks')
    .select((eb) => eb.fn.sum<number | string>('output_bytes').as('bytes'))
    .where('organization_id', '=', organizationId)
    .executeTakeFirst();
  // PostgreSQL sums bigints as numeric, which arrives as a string.
  return Number(row?.bytes ?? 0);
}

/** Output of a task whose row was deleted while it ran must not linger without its task. */
export async function dropLogLinesOfDeletedTask(db: Kysely<Database>, taskId: number): Promise<void> {
  const exists = await db.selectFrom('tasks').select('id').where('id', '=', taskId).executeTakeFirst();
  if (!exists) await db.deleteFrom('task_log_lines').where('task_id', '=', taskId).execute();
}

/**
 * The INSERT of a batch of lines. Kysely compiles an INSERT of 1,000 rows (5,000 parameters) in
 * about as long as the database takes to run it, and a flooding task makes thousands of them, so
 * the SQL of each batch size is compiled once per store and reused with the batch's values.
 */
const insertSqlBySize = new WeakMap<Kysely<Database>, Map<number, string>>();

function insertLines(db: Kysely<Database>, batch: TaskLogLinesTable[]): CompiledQuery {
  let bySize = insertSqlBySize.get(db);
  if (!bySize) insertSqlBySize.set(db, (bySize = new Map()));
  let text = bySize.get(batch.length);
  if (text === undefined) {
    // Same column order as the parameters below.
    const rows = batch.map(({ task_id, seq, time, stream, text }) => ({ task_id, seq, time, stream, text }));
    text = db
      .insertInto('task_log_lines')
      .values(rows)
      .onConflict((oc) => oc.columns(['task_id', 'seq']).doNothing())
      .compile().sql;
    // Batches of every size up to the writer's largest may come: the cache keeps the few most recent.
    if (bySize.size >= 16) bySize.delete(bySize.keys().next().value as number);
    bySize.set(batch.length, text);
  }
  const parameters: unknown[] = [];
  for (const line of batch) parameters.push(line.task_id, line.seq, line.time, line.stream, line.text);
  return CompiledQuery.raw(text, parameters);
}
