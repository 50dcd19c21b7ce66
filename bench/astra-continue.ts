// Astra `continue` paging over a large account: walks every page of
// GET /accounts/{account}/core/v1/tasks from the first to the last by its continue tokens and
// prints what a page costs at the start, the middle and the end of the walk. A keyset cursor
// should cost the same on the last page as on the first; the ratio says whether it does.
import { performance } from 'node:perf_hooks';
import type { Api } from './api.js';
import { ms, ratio, section, summary, table } from './report.js';

/** Pages timed at each end and in the middle of a walk. */
const WINDOW = 20;

interface Walk {
  pages: number[];
  items: number;
  count: number;
  seconds: number;
  error?: string;
}

/** Walks until `maxPages` (or the end); `count=true` on the first page. */
async function walk(api: Api, base: string, query: string, limit: number, maxPages = Infinity): Promise<Walk> {
  const pages: number[] = [];
  let items = 0;
  let count = NaN;
  let token: string | undefined;
  const started = performance.now();
  do {
    const url = `${base}?${query}${query ? '&' : ''}limit=${limit}${pages.length === 0 ? '&count=true' : ''}${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
    const t0 = performance.now();
    const res = await api.request('GET', url);
    pages.push(performance.now() - t0);
    if (res.status !== 200)
      return {
        pages,
        items,
        count,
        seconds: (performance.now() - started) / 1000,
        error: `page ${pages.length}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`,
      };
    if (pages.length === 1) count = res.body.metadata.count;
    items += res.body.items.length;
    token = res.body.metadata.continue;
  } while (token && pages.length < maxPages);
  return { pages, items, count, seconds: (performance.now() - started) / 1000 };
}

/** Median page time over a window of pages. */
function windowOf(pages: number[], from: number): { p50: number; n: number } {
  const slice = pages.slice(Math.max(0, from), Math.max(0, from) + WINDOW);
  return summary(slice);
}

export async function astraContinue(admin: Api, accountId: string, accountTasks: number | undefined, limit: number): Promise<void> {
  section(`Astra continue paging: every page of one account's tasks, limit ${limit}, walked by metadata.continue`);
  console.log(
    `method: GET /accounts/<account>/core/v1/tasks as the admin, one request at a time; the first page also asks count=true.\n` +
      `Page time is the client's wall clock per request (fetch, JSON parse included). "start", "middle" and "end" are the\n` +
      `median of ${WINDOW} pages at each place, after an untimed walk of the first ${WINDOW}; "start again" times the first\n` +
      `pages once more after the walk; end/start again is the ratio (a keyset cursor keeps it near 1.00x).` +
      (accountTasks !== undefined ? `\nthe account (the seed's first org) holds about ${accountTasks.toLocaleString('en-US')} tasks.` : ''),
  );
  const base = `/accounts/${accountId}/core/v1/tasks`;
  const shapes = [
    { name: 'all tasks', query: '' },
    { name: "filter=state eq 'completed'", query: `filter=${encodeURIComponent("state eq 'completed'")}` },
  ];
  const rows: string[][] = [];
  for (const shape of shapes) {
    // Untimed warm-up, so the start of the walk is not also the start of the JIT and the caches.
    await walk(admin, base, shape.query, limit, WINDOW);
    const w = await walk(admin, base, shape.query, limit);
    if (w.error) console.log(`${shape.name}: stopped: ${w.error}`);
    const n = w.pages.length;
    const start = windowOf(w.pages, 1);
    const middle = windowOf(w.pages, Math.floor(n / 2) - WINDOW / 2);
    const end = windowOf(w.pages, n - WINDOW - 1);
    // The first pages once more, now that the server has served the whole walk: start and end
    // measured in the same warm state, so their ratio is about depth, not warm-up.
    const again = windowOf((await walk(admin, base, shape.query, limit, WINDOW + 1)).pages, 1);
    rows.push([
      shape.name,
      n.toLocaleString('en-US'),
      `${w.items.toLocaleString('en-US')} / ${Number.isFinite(w.count) ? w.count.toLocaleString('en-US') : '?'}`,
      ms(w.pages[0] ?? NaN),
      ms(start.p50),
      ms(middle.p50),
      ms(end.p50),
      ms(again.p50),
      ratio(end.p50 / again.p50),
      `${w.seconds.toFixed(1)} s`,
    ]);
  }
  console.log(
    table(
      [
        'walk',
        'pages',
        'items / count',
        'page 1 (+count)',
        'start p50',
        'middle p50',
        'end p50',
        'start again',
        'end/start again',
        'whole walk',
      ],
      rows,
    ),
  );
  console.log('"start" leaves out page 1, which also counts every match; the last page is left out of "end" as it is short.');
}
