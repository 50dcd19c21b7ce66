// Tasks across every space the user may read: filters, sorting and paging done by the server
// (GET /v3/tasks), and the current page polled so states and progress move without a reload.
import { ApiError, getJson, isUnreachable, type Page } from '../api.js';
import { appPlaces, type AppPlace } from '../app-places.js';
import { fill, h, link } from '../dom.js';
import { durationMs, durationText, isFinished, stateOf, timeOf, type Task } from '../format.js';
import { clearError, messageOf } from '../notice.js';
import { poll } from '../poll.js';
import { go, type View } from '../router.js';
import { progressBar } from './progress.js';
import { activeFilterCount, listQuery, taskFilters } from './task-filters.js';

const COLUMNS = ['#', 'Name', 'App', 'State', 'Progress', 'Duration', 'Created'];

export const taskListView: View = (main, route) => {
  const body = h('tbody');
  const summary = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading…');
  // The list's own failures show here, under the filters that may have caused them.
  const problem = h('p', { class: 'error list-problem', role: 'alert', hidden: true });
  const empty = h('div', { class: 'empty', hidden: true });
  const table = h(
    'div',
    { class: 'table-wrap' },
    h('table', { class: 'tasks' }, h('thead', {}, h('tr', {}, ...COLUMNS.map((c) => h('th', { scope: 'col' }, c)))), body),
  );
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  const filters = taskFilters(route.query);
  main.append(h('h1', {}, 'Tasks'), filters, problem, summary, empty, table, pager);

  const query = listQuery(route.query);
  const pageNumber = Number(query.get('page') ?? 1);
  // Unchanged answers leave the table alone, so keyboard focus inside it survives a poll.
  let shown = '';
  let running: [HTMLElement, Task][] = [];
  return poll(2000, async () => {
    try {
      const page = await getJson<Page<Task>>(`/v3/tasks?${query}`);
      problem.hidden = true;
      clearError();
      const seen = JSON.stringify(page);
      if (seen !== shown) {
        shown = seen;
        const places = await appPlaces(page.resources.map((t) => t.relationships.app.data.guid));
        const rows = page.resources.map((task) => taskRow(task, places));
        fill(body, ...rows.map((r) => r.row));
        running = rows.flatMap((r) => (r.running ? [r.running] : []));
        const n = page.pagination.total_results;
        // "0 tasks" says nothing the empty state does not say better.
        summary.textContent = n ? `${n} task${n === 1 ? '' : 's'}` : '';
        table.hidden = n === 0 || page.resources.length === 0;
        renderEmptyState(empty, route.query, n, page.resources.length, pageNumber);
        renderPager(pager, route.query, pageNumber, page.pagination.total_pages);
      }
      // Unfinished tasks' durations grow between changes.
      for (const [cell, task] of running) cell.textContent = durationText(durationMs(task));
    } catch (err) {
      shown = '';
      // Set only when it changes: an alert re-set every round would be read out every round.
      const text = listProblem(err);
      if (problem.textContent !== text) problem.textContent = text;
      problem.hidden = false;
      summary.textContent = '';
      // A refused filter is fixed in the filters: show them, even where they fold away. No rows
      // answer such a query; while taskd is out of reach the last ones shown stay.
      if (err instanceof ApiError && !isUnreachable(err) && err.status < 500) {
        filters.open = true;
        table.hidden = true;
        pager.hidden = true;
      }
    }
  });
};

function listProblem(err: unknown): string {
  if (isUnreachable(err) || !(err instanceof ApiError) || err.status >= 500) return messageOf(err, true);
  return `The tasks could not be listed: ${err.message}`;
}

function taskRow(task: Task, places: Map<string, AppPlace>): { row: HTMLTableRowElement; running?: [HTMLElement, Task] } {
  const appGuid = task.relationships.app.data.guid;
  const place = places.get(appGuid);
  const state = stateOf(task);
  const duration = h('td', { 'data-label': 'Duration', title: 'From creation to the end' }, durationText(durationMs(task)));
  const row = h(
    'tr',
    { 'data-task': task.guid },
    h('td', { 'data-label': '#', class: 'seq', title: "The task's number within its app" }, `#${task.sequence_id}`),
    h('td', { 'data-label': 'Name', class: 'name' }, link(`#/tasks/${task.guid}`, task.name)),
    h(
      'td',
      { 'data-label': 'App' },
      // One child per cell: on a phone the cell is a grid of its label and its content.
      h(
        'div',
        {},
        link(`#/apps/${appGuid}`, place?.name ?? appGuid),
        place && h('span', { class: 'place muted' }, `${place.org} / ${place.space}`),
      ),
    ),
    h(
      'td',
      { 'data-label': 'State' },
      h(
        'div',
        {},
        h('span', { class: `state state-${state.toLowerCase()}` }, state),
        task.result.failure_reason && h('span', { class: 'reason' }, task.result.failure_reason),
      ),
    ),
    h('td', { 'data-label': 'Progress' }, progressBar(task)),
    duration,
    h('td', { 'data-label': 'Created' }, h('time', { datetime: task.created_at }, timeOf(task.created_at))),
  );
  return isFinished(task) ? { row } : { row, running: [duration, task] };
}

/** What to do next when there is nothing to show. */
function renderEmptyState(el: HTMLElement, query: URLSearchParams, total: number, onPage: number, page: number): void {
  el.hidden = onPage > 0;
  if (onPage > 0) return fill(el);
  if (total > 0 && page > 1) {
    const first = new URLSearchParams(query);
    first.delete('page');
    return fill(el, h('p', {}, `This page is past the last one. `, link(`#/tasks?${first}`, 'Go to the first page')));
  }
  if (activeFilterCount(query) > 0) {
    return fill(
      el,
      h('p', {}, 'No tasks match these filters. '),
      h('p', {}, link('#/tasks', 'Clear the filters'), ' to see every task you can read.'),
    );
  }
  fill(
    el,
    h('p', { class: 'empty-title' }, 'No tasks yet.'),
    h(
      'p',
      {},
      'Run one from an app: ',
      link('#/orgs', 'Organizations'),
      ' → a space → an app → Run a task. Or from a terminal, pushing the app first if it is new:',
    ),
    h('pre', {}, 'npx taskd push APP ./my-app\nnpx taskd run-task APP "./run.sh"'),
    h('p', { class: 'muted' }, 'You see the tasks of the spaces where you have a role; an admin gives roles.'),
  );
}

function renderPager(pager: HTMLElement, query: URLSearchParams, page: number, pages: number): void {
  const to = (n: number) => () => {
    const next = new URLSearchParams(query);
    next.set('page', String(n));
    go('tasks', next);
  };
  pager.hidden = pages <= 1 && page <= 1;
  fill(
    pager,
    h('button', { type: 'button', disabled: page <= 1, onclick: to(page - 1) }, 'Previous'),
    h('span', {}, `Page ${page} of ${Math.max(pages, 1)}`),
    h('button', { type: 'button', disabled: page >= pages, onclick: to(page + 1) }, 'Next'),
  );
}
