// The task list's filter form. Its values live in the URL's query (CF's own list parameters),
// so the server does all filtering, sorting and paging, and a filtered view can be bookmarked.
// On a phone nine fields would fill the first screen, so they fold away behind a summary that
// says how many are in use; on a wide screen they start unfolded.
import { getAll } from '../api.js';
import { h } from '../dom.js';
import { cfTime } from '../format.js';
import { reporting } from '../notice.js';
import { go } from '../router.js';

const STATES = ['PENDING', 'RUNNING', 'CANCELING', 'SUCCEEDED', 'FAILED'];
const ORDERS: [string, string][] = [
  ['-created_at', 'Newest first'],
  ['created_at', 'Oldest first'],
  ['-updated_at', 'Recently updated'],
  ['updated_at', 'Least recently updated'],
];
const PAGE_SIZES = ['10', '25', '50', '100'];
/** The query keys that narrow the list (sorting and paging only arrange it). */
const NARROWING = ['states', 'organization_guids', 'space_guids', 'app_guids', 'label_selector', 'from', 'to'];
const WIDE_SCREEN = '(min-width: 48rem)';

export function activeFilterCount(query: URLSearchParams): number {
  return NARROWING.filter((key) => query.get(key)).length;
}

interface Named {
  guid: string;
  name: string;
}

export function taskFilters(query: URLSearchParams): HTMLDetailsElement {
  const state = select('f-state', 'states', [['', 'Any state'], ...STATES.map((s): [string, string] => [s, s])], query);
  const org = select('f-org', 'organization_guids', [['', 'Any organization']], query);
  const space = select('f-space', 'space_guids', [['', 'Any space']], query);
  const app = select('f-app', 'app_guids', [['', 'Any app']], query);
  const labels = h('input', {
    id: 'f-labels',
    name: 'label_selector',
    value: query.get('label_selector') ?? '',
    placeholder: 'env=prod,tier',
  });
  const from = h('input', { id: 'f-from', name: 'from', type: 'datetime-local', value: query.get('from') ?? '' });
  const to = h('input', { id: 'f-to', name: 'to', type: 'datetime-local', value: query.get('to') ?? '' });
  const order = select('f-order', 'order_by', ORDERS, query);
  const perPage = select(
    'f-per-page',
    'per_page',
    PAGE_SIZES.map((n): [string, string] => [n, n]),
    query,
    '25',
  );

  void loadChoices(org, '/v3/organizations', query.get('organization_guids'));
  void loadChoices(space, '/v3/spaces', query.get('space_guids'));
  void loadChoices(app, '/v3/apps', query.get('app_guids'));

  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Task filters' },
    field('f-state', 'State', state),
    field('f-org', 'Organization', org),
    field('f-space', 'Space', space),
    field('f-app', 'App', app),
    field('f-labels', 'Label selector', labels),
    field('f-from', 'Created from', from),
    field('f-to', 'Created until', to),
    field('f-order', 'Sort', order),
    field('f-per-page', 'Per page', perPage),
    h('div', { class: 'field actions' }, h('button', { type: 'submit' }, 'Apply'), h('a', { href: '#/tasks' }, 'Clear')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (typeof value === 'string' && value) next.set(key, value);
    go('tasks', next);
  });
  const active = activeFilterCount(query);
  return h(
    'details',
    { class: 'filter-panel', open: window.matchMedia(WIDE_SCREEN).matches },
    h('summary', {}, active ? `Filters and sorting (${active} in use)` : 'Filters and sorting'),
    form,
  );
}

/** The API query for the list: the form's values, with the time range in CF's filter syntax. */
export function listQuery(query: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const key of ['states', 'organization_guids', 'space_guids', 'app_guids', 'label_selector', 'order_by', 'per_page', 'page']) {
    const value = query.get(key);
    if (value) out.set(key, value);
  }
  if (!out.has('order_by')) out.set('order_by', '-created_at');
  if (!out.has('per_page')) out.set('per_page', '25');
  const from = query.get('from');
  const to = query.get('to');
  if (from) out.set('created_ats[gte]', cfTime(from));
  if (to) out.set('created_ats[lte]', cfTime(to));
  return out;
}

function field(id: string, label: string, control: HTMLElement): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

function select(id: string, name: string, options: [string, string][], query: URLSearchParams, fallback = ''): HTMLSelectElement {
  const current = query.get(name) ?? fallback;
  const el = h('select', { id, name });
  for (const [value, text] of options) el.append(h('option', { value, selected: value === current }, text));
  return el;
}

async function loadChoices(el: HTMLSelectElement, path: string, current: string | null): Promise<void> {
  const items = await reporting(() => getAll<Named>(`${path}?order_by=name`));
  for (const item of items ?? []) el.append(h('option', { value: item.guid, selected: item.guid === current }, item.name));
}
