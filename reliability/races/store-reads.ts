// What the races checks read straight from the store: audit events and runner messages per task
// (the latter in chunks: SQLite and PostgreSQL both cap the parameters of one statement).
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';

const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * How many audit events of this type each task of the app has, by task guid. Task events target
 * the app (CF's actee) and name their task in data.task_guid.
 */
export async function countTaskEvents(db: Kysely<Database>, appGuid: string, type: string): Promise<Map<string, number>> {
  const rows = await db.selectFrom('audit_events').select('data').where('type', '=', type).where('target_guid', '=', appGuid).execute();
  const counts = new Map<string, number>();
  for (const r of rows) {
    const guid = (typeof r.data === 'string' ? JSON.parse(r.data) : r.data)?.task_guid as string;
    counts.set(guid, (counts.get(guid) ?? 0) + 1);
  }
  return counts;
}

/** The runner's messages of each task (its "started" and its end), in order, by task id. */
export async function runnerMessages(db: Kysely<Database>, taskIds: readonly number[]): Promise<Map<number, string[]>> {
  const messages = new Map<number, string[]>();
  for (const part of chunks(taskIds)) {
    const rows = await db
      .selectFrom('task_messages')
      .select(['task_id', 'text'])
      .where('source', '=', 'runner')
      .where('task_id', 'in', part)
      .orderBy('task_id')
      .orderBy('seq')
      .execute();
    for (const r of rows) {
      const list = messages.get(r.task_id);
      if (list) list.push(r.text);
      else messages.set(r.task_id, [r.text]);
    }
  }
  return messages;
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `done` holds; false when the deadline passed first. */
export async function waitUntil(done: () => Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) return false;
    await pause(everyMs);
  }
  return true;
}
