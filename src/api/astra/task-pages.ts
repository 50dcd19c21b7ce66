// Reads a task list request through the shared task query in bounded pages: however many tasks
// match and whatever `limit` says, no single query returns more than PAGE_SIZE rows.
import type { Kysely } from 'kysely';
import type { Scope } from '../../auth/permissions.js';
import type { TaskQueryValue } from '../../core/task-query.js';
import { queryTasks, type TaskView } from '../../fetchers/task-query.js';
import type { Database } from '../../store/schema.js';
import type { TaskListRequest } from './messages/task-list-query.js';

export const PAGE_SIZE = 500;

export interface TaskPages {
  /** The first page, read before anything is answered (so its errors are still proper problems). */
  first: TaskView[];
  /** True when the first page is the whole answer. */
  done: boolean;
  /** The pages after the first, read as they are consumed. */
  rest(): AsyncGenerator<TaskView[]>;
  /** Every match before limit and continue (when counted). */
  readonly total?: number;
  /** Where the next answer resumes, once this one is read to its end: only when `limit` stopped it. */
  readonly next?: TaskQueryValue[];
}

export async function readTaskPages(db: Kysely<Database>, scope: Scope, req: TaskListRequest): Promise<TaskPages> {
  let remaining = req.limit ?? Infinity;
  const read = async (after: TaskQueryValue[] | undefined, count: boolean) => {
    const page = await queryTasks(db, scope, { where: req.where, order: req.order, limit: Math.min(PAGE_SIZE, remaining), after, count });
    remaining -= page.rows.length;
    return page;
  };
  const firstPage = await read(req.after, req.count);
  let next = firstPage.next;
  const result: TaskPages = {
    first: firstPage.rows,
    done: next === undefined || remaining <= 0,
    total: firstPage.total,
    get next() {
      return req.limit !== undefined && remaining <= 0 ? next : undefined;
    },
    async *rest() {
      while (next !== undefined && remaining > 0) {
        const page = await read(next, false);
        next = page.next;
        yield page.rows;
      }
    },
  };
  return result;
}
