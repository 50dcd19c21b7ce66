// Idempotency-Key on task create (a taskd extension): a retried create within 24 hours gets the
// first answer again; the same key with another request is a 409. The primary key (user, key)
// decides races, not a read-then-write check. The answer is the dialect's rendering of the task,
// stored as its JSON text and replayed as it was stored.
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { ApiError } from '../core/errors.js';
import type { Database } from '../store/schema.js';
import { bindKey, boundKey, recordKeyAnswer } from '../store/tasks/idempotency-keys.js';

export interface IdempotencyRequest {
  key: string;
  /** Hash of the app guid and the canonical body: what makes a retry "the same request". */
  requestHash: string;
}

/** How long a key stays bound to its first request. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

export class KeyAlreadyClaimed extends Error {}

/** sha256 over the app and the body with its keys sorted, so formatting and key order do not matter. */
export function idempotencyRequestHash(appGuid: string, body: unknown): string {
  return createHash('sha256')
    .update(appGuid)
    .update('\n')
    .update(canonicalJson(body ?? {}))
    .digest('hex');
}

/** Text to emit as is, among the values still to write. */
class Emit {
  constructor(readonly text: string) {}
}

/**
 * JSON with every object's keys sorted. Written with a stack of its own rather than by recursion:
 * the hash is taken before the create action judges the body, and a body nested 100,000 deep
 * would otherwise overflow the call stack (a 500 instead of the action's 422).
 */
function canonicalJson(root: unknown): string {
  const out: string[] = [];
  const pending: unknown[] = [root];
  while (pending.length) {
    const value = pending.pop();
    if (value instanceof Emit) out.push(value.text);
    else if (Array.isArray(value)) {
      pending.push(new Emit(']'));
      for (let i = value.length - 1; i >= 0; i--) pending.push(value[i], ...(i > 0 ? [new Emit(',')] : []));
      pending.push(new Emit('['));
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      pending.push(new Emit('}'));
      for (let i = entries.length - 1; i >= 0; i--) {
        pending.push(entries[i][1], new Emit(`${i > 0 ? ',' : ''}${JSON.stringify(entries[i][0])}:`));
      }
      pending.push(new Emit('{'));
    } else out.push(JSON.stringify(value));
  }
  return out.join('');
}

const windowStart = () => new Date(Date.now() - IDEMPOTENCY_WINDOW_MS).toISOString();

/**
 * The first answer to this key within its window: replayed for the same request, 409 for another.
 * Undefined when the key is unused or expired.
 */
export async function earlierAnswer<Answer>(
  db: Kysely<Database>,
  userGuid: string,
  idempotency: IdempotencyRequest,
): Promise<Answer | undefined> {
  const row = await boundKey(db, userGuid, idempotency.key);
  if (!row || row.created_at < windowStart()) return undefined;
  if (row.request_hash !== idempotency.requestHash) {
    throw new ApiError('IdempotencyConflict', `Idempotency-Key '${idempotency.key}' was already used for a different request`);
  }
  return JSON.parse(row.response) as Answer;
}

/**
 * Binds the key to this request. The primary key (user, key) is what enforces one task per key: a
 * concurrent create with the same key waits here and then fails. An expired binding is replaced.
 */
export async function claimKey(trx: Transaction<Database>, userGuid: string, idempotency: IdempotencyRequest): Promise<void> {
  if (!(await bindKey(trx, userGuid, idempotency.key, idempotency.requestHash, windowStart()))) throw new KeyAlreadyClaimed();
}

export async function recordAnswer(
  trx: Transaction<Database>,
  userGuid: string,
  key: string,
  taskId: number,
  answer: unknown,
): Promise<void> {
  await recordKeyAnswer(trx, userGuid, key, taskId, JSON.stringify(answer));
}
