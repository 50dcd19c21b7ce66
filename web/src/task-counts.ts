// How many tasks match a filter, asked of the server: one row's page (per_page=1) carries the
// total, so a count costs one small request however many tasks there are. The dashboard never
// loads every task to count them.
import { getJson, type Page } from './api.js';

export type TaskFilter = Record<string, string>;

export async function countTasks(filter: TaskFilter): Promise<number> {
  const query = new URLSearchParams({ ...filter, per_page: '1' });
  return (await getJson<Page<unknown>>(`/v3/tasks?${query}`)).pagination.total_results;
}
