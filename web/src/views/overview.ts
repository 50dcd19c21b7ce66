// The task system at a glance: what runs now, tasks by outcome hour by hour, why tasks failed
// and how long they took, refreshed every ten seconds. Counts are the server's (per_page=1 and
// the page's total); reasons and durations come from one bounded page of the latest tasks, and
// say so.
import { getJson, type Page } from '../api.js';
import { fill, h, link } from '../dom.js';
import { cfSeconds, durationMs, durationText, localInput, type Task } from '../format.js';
import { clearError, showError } from '../notice.js';
import { poll } from '../poll.js';
import type { View } from '../router.js';
import { countTasks } from '../task-counts.js';

const HOURS = 6;
const HOUR_MS = 3_600_000;
/** The latest tasks read for reasons and durations: enough to see a pattern, never everything. */
const SAMPLE = 100;
const ACTIVE = 'PENDING,RUNNING,CANCELING';
/** The outcomes each hour is split into, in the chart's order and colours. */
const OUTCOMES = [
  { states: 'SUCCEEDED', label: 'succeeded', class: 'bar-succeeded' },
  { states: 'FAILED', label: 'failed', class: 'bar-failed' },
  { states: ACTIVE, label: 'not finished', class: 'bar-active' },
];

export const overviewView: View = (main) => {
  const now = h('div', { class: 'stats', 'aria-live': 'polite' });
  const hours = h('ol', { class: 'hours' });
  const reasons = h('div', {});
  const durations = h('div', {});
  const updated = h('p', { class: 'muted' }, 'Loading…');
  main.append(
    h('h1', {}, 'Overview'),
    updated,
    section('now-title', 'Right now', now),
    section('hours-title', `Tasks created in the last ${HOURS} hours, by outcome`, hours),
    section('reasons-title', `Why tasks failed (last ${HOURS} hours)`, reasons),
    section('durations-title', 'How long tasks took', durations),
  );
  return poll(10_000, async () => {
    try {
      const at = Date.now();
      await Promise.all([renderNow(now), renderHours(hours, at), renderReasons(reasons, at), renderDurations(durations)]);
      updated.textContent = `Updated ${new Date(at).toLocaleTimeString()}; live, every 10 s.`;
      clearError();
    } catch (err) {
      // The error line says why; this line must not go on saying "Loading…".
      if (updated.textContent === 'Loading…') updated.textContent = '';
      showError(err, true);
    }
  });
};

function section(id: string, title: string, body: HTMLElement): HTMLElement {
  return h('section', { class: 'overview-part', 'aria-labelledby': id }, h('h2', { id }, title), body);
}

async function renderNow(el: HTMLElement): Promise<void> {
  const stats = [
    { label: 'Running', states: 'RUNNING' },
    { label: 'Pending', states: 'PENDING' },
    { label: 'Canceling', states: 'CANCELING' },
  ];
  const counts = await Promise.all(stats.map((s) => countTasks({ states: s.states })));
  fill(
    el,
    ...stats.map((s, i) =>
      h(
        'a',
        { class: 'stat', href: `#/tasks?states=${s.states}`, 'data-testid': `now-${s.states.toLowerCase()}` },
        h('span', { class: 'stat-number' }, counts[i]),
        h('span', { class: 'stat-label' }, s.label),
      ),
    ),
  );
}

/** Whole clock hours, the current one so far last. */
async function renderHours(list: HTMLElement, at: number): Promise<void> {
  const thisHour = Math.floor(at / HOUR_MS) * HOUR_MS;
  const starts = Array.from({ length: HOURS }, (_, i) => thisHour - (HOURS - 1 - i) * HOUR_MS);
  const rows = await Promise.all(
    starts.map(async (start) => {
      const range: Record<string, string> = { 'created_ats[gte]': cfSeconds(start) };
      if (start !== thisHour) range['created_ats[lt]'] = cfSeconds(start + HOUR_MS);
      return { start, counts: await Promise.all(OUTCOMES.map((o) => countTasks({ ...range, states: o.states }))) };
    }),
  );
  const most = Math.max(1, ...rows.map((r) => r.counts.reduce((a, b) => a + b, 0)));
  fill(
    list,
    ...rows.map(({ start, counts }) => {
      const total = counts.reduce((a, b) => a + b, 0);
      const words = total ? OUTCOMES.map((o, i) => `${counts[i]} ${o.label}`).join(', ') : 'none';
      const filter = new URLSearchParams({ from: localInput(start), to: localInput(start + HOUR_MS) });
      return h(
        'li',
        { class: 'hour' },
        h('span', { class: 'hour-label' }, start === thisHour ? `${clock(start)} – now` : clock(start)),
        stackedBar(counts, most),
        h('span', { class: 'hour-counts' }, total ? link(`#/tasks?${filter}`, `${total}`) : '0', `: ${words}`),
      );
    }),
  );
}

async function renderReasons(el: HTMLElement, at: number): Promise<void> {
  const query = new URLSearchParams({ states: 'FAILED', order_by: '-updated_at', per_page: String(SAMPLE) });
  query.set('updated_ats[gte]', cfSeconds(at - HOURS * HOUR_MS));
  const page = await getJson<Page<Task>>(`/v3/tasks?${query}`);
  const total = page.pagination.total_results;
  if (!total) return fill(el, h('p', { class: 'muted' }, 'No task failed.'));
  const byReason = new Map<string, number>();
  for (const task of page.resources) {
    const reason = task.result.failure_reason ?? 'no reason given';
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  }
  const rows = [...byReason].sort((a, b) => b[1] - a[1]);
  fill(
    el,
    h(
      'p',
      {},
      total > SAMPLE ? `${total} failures; the latest ${SAMPLE} by reason:` : `${total} failure${total === 1 ? '' : 's'}, by reason:`,
    ),
    h(
      'table',
      { class: 'reasons' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Reason'), h('th', { scope: 'col' }, 'Tasks'))),
      h('tbody', {}, ...rows.map(([reason, n]) => h('tr', {}, h('td', {}, reason), h('td', {}, n)))),
    ),
  );
}

async function renderDurations(el: HTMLElement): Promise<void> {
  const page = await getJson<Page<Task>>(`/v3/tasks?states=SUCCEEDED,FAILED&order_by=-updated_at&per_page=${SAMPLE}`);
  if (!page.resources.length) return fill(el, h('p', { class: 'muted' }, 'No task has finished yet.'));
  const sorted = page.resources.map((task) => ({ task, ms: durationMs(task) })).sort((a, b) => a.ms - b.ms);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.ms;
  const longest = sorted[sorted.length - 1]!;
  fill(
    el,
    h('p', {}, `Of the latest ${sorted.length} finished tasks, from creation to end:`),
    h(
      'dl',
      { class: 'details' },
      h('dt', {}, 'Median'),
      h('dd', { 'data-testid': 'duration-median' }, durationText(at(0.5))),
      h('dt', {}, '9 in 10 within'),
      h('dd', {}, durationText(at(0.9))),
      h('dt', {}, 'Longest'),
      h('dd', {}, durationText(longest.ms), ' (', link(`#/tasks/${longest.task.guid}`, longest.task.name), ')'),
    ),
  );
}

const SVG = 'http://www.w3.org/2000/svg';

/** One hour's outcomes as a bar scaled to the busiest hour. SVG, so no inline style is needed. */
function stackedBar(counts: number[], most: number): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'bar');
  svg.setAttribute('viewBox', '0 0 100 10');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('aria-hidden', 'true');
  let x = 0;
  counts.forEach((n, i) => {
    const width = (n / most) * 100;
    const rect = document.createElementNS(SVG, 'rect');
    rect.setAttribute('class', OUTCOMES[i]!.class);
    for (const [k, v] of Object.entries({ x, y: 0, width, height: 10 })) rect.setAttribute(k, String(v));
    svg.append(rect);
    x += width;
  });
  return svg;
}

/** An hour as the user's clock names it ("4 PM", "16:00"). */
function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
}
