// Astra's collection shape (specs/dialects.md §1.5): `type`, `version`, `items`, `metadata`. Items
// are whole tasks, or with `include` arrays of the named fields. A long answer is written as a
// stream of its items, page by page, so it is never all in memory.
import type { TaskView } from '../../../fetchers/task-query.js';
import { presentAstraTask, projectAstraTask } from './task.js';

export const ASTRA_TASK_LIST_TYPE = 'application/astra-tasks';

export interface ListMetadata {
  continue?: string;
  count?: number;
}

export const presentItem = (view: TaskView, include: readonly string[] | undefined): unknown =>
  include ? projectAstraTask(presentAstraTask(view), include) : presentAstraTask(view);

export function presentTaskList(items: unknown[], metadata: ListMetadata) {
  return { type: ASTRA_TASK_LIST_TYPE, version: '1.1', items, metadata };
}

/** The same document as presentTaskList, as text chunks: items as their pages arrive, metadata last. */
export async function* taskListChunks(pages: AsyncIterable<unknown[]>, metadata: () => ListMetadata): AsyncGenerator<string> {
  yield `{"type":${JSON.stringify(ASTRA_TASK_LIST_TYPE)},"version":"1.1","items":[`;
  let first = true;
  for await (const items of pages) {
    if (!items.length) continue;
    yield (first ? '' : ',') + items.map((item) => JSON.stringify(item)).join(',');
    first = false;
  }
  yield `],"metadata":${JSON.stringify(metadata())}}`;
}
