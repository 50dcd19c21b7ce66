// Tasks across every space the user may read: filters, sorting and paging done by the server
// (GET /v3/tasks), and the current page polled so states and progress move without a reload.
import { getJson, type Page } from '../api.js';
import { appNames } from '../app-names.js';
import { fill, h, link } from '../dom.js';
import { stateOf, timeOf, type Task } from '../format.js';
import { clearError, showError } from '../notice.js';
import { poll } from '../poll.js';
import { go, type View } from '../router.js';
import { progressBar } from './progress.js';
import { listQuery, taskFilters } from './task-filters.js';

export const taskListView: View = (main, route) => {
  const body = h('tbody');
  const summary = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading…');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  main.append(
    h('h1', {}, 'Tasks'),
    taskFilters(route.query),
    summary,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'tasks' },
        h('thead', {}, h('tr', {}, ...['Name', 'App', 'State', 'Progress', 'Created'].map((c) => h('th', { scope: 'col' }, c)))),
        body,
      ),
    ),
    pager,
  );

  const query = listQuery(route.query);
  // Unchanged answers leave the table alone, so keyboard focus inside it survives a poll.
  let shown = '';
  return poll(2000, async () => {
    try {
      const page = await getJson<Page<Task>>(`/v3/tasks?${query}`);
      const seen = JSON.stringify(page);
      if (seen === shown) return;
      shown = seen;
      const apps = await appNames(page.resources.map((t) => t.relationships.app.data.guid));
      fill(body, ...page.resources.map((task) => taskRow(task, apps)));
      const n = page.pagination.total_results;
      summary.textContent = `${n} task${n === 1 ? '' : 's'}`;
      renderPager(pager, route.query, Number(query.get('page') ?? 1), page.pagination.total_pages);
      clearError();
    } catch (err) {
      showError(err);
    }
  });
};

function taskRow(task: Task, apps: Map<string, string>): HTMLTableRowElement {
  const appGuid = task.relationships.app.data.guid;
  const state = stateOf(task);
  return h(
    'tr',
    { 'data-task': task.guid },
    h('td', {}, link(`#/tasks/${task.guid}`, task.name)),
    h('td', {}, link(`#/apps/${appGuid}`, apps.get(appGuid) ?? appGuid)),
    h('td', {}, h('span', { class: `state state-${state.toLowerCase()}` }, state)),
    h('td', {}, progressBar(task)),
    h('td', {}, h('time', { datetime: task.created_at }, timeOf(task.created_at))),
  );
}

function renderPager(pager: HTMLElement, query: URLSearchParams, page: number, pages: number): void {
  const to = (n: number) => () => {
    const next = new URLSearchParams(query);
    next.set('page', String(n));
    go('tasks', next);
  };
  fill(
    pager,
    h('button', { type: 'button', disabled: page <= 1, onclick: to(page - 1) }, 'Previous'),
    h('span', {}, `Page ${page} of ${Math.max(pages, 1)}`),
    h('button', { type: 'button', disabled: page >= pages, onclick: to(page + 1) }, 'Next'),
  );
}
