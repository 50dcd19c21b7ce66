// The task_idempotency_keys table: each (user, key) bound to the first create's request and its
// answer. The primary key (user, key) decides races, not a read-then-write check; the window and
// what a reuse means are the action's (actions/task-idempotency.ts).
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { isUniqueViolation } from '../errors.js';
import { nowIso } from '../../core/time.js';

export interface BoundKey {
  request_hash: string;
  /** JSON of the first answer; empty while its create has not committed. */
  response: string;
  created_at: string;
}

export function boundKey(db: Kysely<Database>, userGuid: string, key: string): Promise<BoundKey | undefined> {
  return db
    .selectFrom('task_idempotency_keys')
    .select(['request_hash', 'response', 'created_at'])
    .where('user_guid', '=', userGuid)
    .where('key', '=', key)
    .executeTakeFirst();
}

/**
 * Binds the key to a request, replacing a binding made before `expiredBefore`. False when it is
 * bound already: a concurrent create with the same key waits on the primary key, then gets false.
 */
export async function bindKey(
  trx: Kysely<Database>,
  userGuid: string,
  key: string,
  requestHash: string,
  expiredBefore: string,
): Promise<boolean> {
  await trx
    .deleteFrom('task_idempotency_keys')
    .where('user_guid', '=', userGuid)
    .where('key', '=', key)
    .where('created_at', '<', expiredBefore)
    .execute();
  try {
    await trx
      .insertInto('task_idempotency_keys')
      .values({ user_guid: userGuid, key, request_hash: requestHash, task_id: 0, response: '', created_at: nowIso() })
      .execute();
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/** Stores the answer of the create that bound the key (in its transaction). */
export async function recordKeyAnswer(trx: Kysely<Database>, userGuid: string, key: string, taskId: number, answer: string): Promise<void> {
  await trx
    .updateTable('task_idempotency_keys')
    .set({ task_id: taskId, response: answer })
    .where('user_guid', '=', userGuid)
    .where('key', '=', key)
    .execute();
}
