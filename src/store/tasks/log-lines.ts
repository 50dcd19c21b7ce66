// Every write to task_log_lines: the runner's batches of a task's output, and the removal of a
// task's lines when it goes (removal.ts) or was deleted while it ran.
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

/** Stores a batch of lines; a line told again (replayed after a restart) is stored once, by its number. */
export async function insertLogLines(db: Kysely<Database>, batch: TaskLogLinesTable[]): Promise<void> {
  await db.executeQuery(insertLines(db, batch));
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
