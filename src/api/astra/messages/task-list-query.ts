// GET /accounts/{account_id}/core/v1/tasks query parameters (specs/dialects.md §1.6, §5) as a
// TaskQuery: `filter` (repeatable, all AND-ed), `include`, `limit`, `continue`, `count=true`.
import type { TaskCondition, TaskOrder, TaskQueryValue } from '../../../core/task-query.js';
import { AstraProblem, invalidQuery } from '../problems.js';
import { ASTRA_TASK_FIELDS } from '../presenters/task.js';
import { and, toWhere } from './conditions.js';
import { decodeContinue, queryFingerprint } from './continue-token.js';
import { parseFilter } from './filter.js';
import { fieldCondition } from './task-fields.js';

export type RawQuery = Record<string, string | string[] | undefined>;

const SUPPORTED = ['filter', 'include', 'limit', 'continue', 'count'];

/** Default and only order: creation time, then id (the fetcher adds the id). */
export const TASK_LIST_ORDER: readonly TaskOrder[] = [{ field: 'created_at', direction: 'asc' }];
/** The types of a keyset position in that order: created_at, then id. */
const AFTER_SHAPE = ['string', 'number'] as const;

export interface TaskListRequest {
  /** The fields named by `include`, in order; absent: whole task objects. */
  include?: string[];
  limit?: number;
  count: boolean;
  where: TaskCondition[];
  order: readonly TaskOrder[];
  after?: TaskQueryValue[];
  /** Binds the `continue` tokens of this answer to this query. */
  fingerprint: string;
}

function single(raw: RawQuery, name: string): string | undefined {
  const v = raw[name];
  if (Array.isArray(v)) throw invalidQuery(name, 'is given more than once');
  return v;
}

const INCLUDE = /^[0-9a-zA-Z]+(,[0-9a-zA-Z]+)*$/;
const LIMIT = /^[1-9][0-9]*$/;

function parseInclude(value: string): string[] {
  if (!INCLUDE.test(value)) throw invalidQuery('include', 'must be field names separated by commas');
  const fields = value.split(',');
  const unknown = fields.filter((f) => !(ASTRA_TASK_FIELDS as readonly string[]).includes(f));
  if (unknown.length) throw invalidQuery('include', `unknown field(s): ${unknown.join(', ')}`);
  return fields;
}

/** The account's tasks that every filter clause admits; `accountId` is the org guid. */
export function parseTaskListQuery(raw: RawQuery, accountId: string): TaskListRequest {
  const unsupported = Object.keys(raw).filter((k) => !SUPPORTED.includes(k));
  if (unsupported.length)
    throw new AstraProblem(
      6,
      unsupported.map((name) => ({ name, reason: 'is not supported for this endpoint' })),
    );

  const include = single(raw, 'include');
  const limit = single(raw, 'limit');
  const token = single(raw, 'continue');
  const count = single(raw, 'count');
  const filters = raw.filter === undefined ? [] : ([] as string[]).concat(raw.filter);

  if (limit !== undefined && !LIMIT.test(limit)) throw invalidQuery('limit', 'must be a positive integer');
  if (count !== undefined && count !== 'true') throw invalidQuery('count', "must be 'true'");
  const clauses = filters.flatMap(parseFilter);
  const filter = and(...clauses.map((c) => fieldCondition(c.path, c.op, c.value)));
  const fingerprint = queryFingerprint(accountId, filters);
  return {
    include: include === undefined ? undefined : parseInclude(include),
    // Beyond any real table size: a limit that large is simply "all".
    limit: limit === undefined || limit.length > 15 ? undefined : Number(limit),
    count: count === 'true',
    where: [{ field: 'organization_guid', op: 'eq', value: accountId }, ...toWhere(filter)],
    order: TASK_LIST_ORDER,
    after: token === undefined ? undefined : decodeContinue(token, fingerprint, AFTER_SHAPE),
    fingerprint,
  };
}
