// CF task lists: GET /v3/tasks and GET /v3/apps/:guid/tasks with every filter combination
// (spec §5), as every role. Each page, every page reached through next/previous/first/last, and
// total_results must be the admin's answer cut down to what the caller may read; a hidden app
// answers as a guid that exists nowhere.
import fc from 'fast-check';
import type { Response } from '../../test/support/harness.js';
import { assertSameAnswer, pathOf, PropertyBroken, type Sent } from './client.js';
import { assertEqual, assertEqualLists, queryOf, roleArb, type PropertyContext } from './context.js';
import { SHARED_TASK_NAMES, timeOfSeq, updatedOfSeq, visibleTo, type Caller, type World } from './world.js';

const CF_STATES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELING'];
const LABEL_REQUIREMENTS = [
  'env=prod',
  'env==dev',
  'env!=prod',
  'env in (prod,dev)',
  'env notin (dev)',
  'env',
  '!env',
  'example.com/tier=web',
  'example.com/tier in (worker)',
  'tenant=bravo-secret',
  'tenant in (alpha-secret,charlie-secret)',
  '!tenant',
  'tenant!=alpha-secret',
  'missing=x',
  'bad label!',
];

const cfTime = (iso: string) => `${iso.slice(0, 19)}Z`;

function timesArb(world: World) {
  const seqs = [...new Set(world.tasks.map((t) => t.sequenceId))];
  const instants = [...new Set(seqs.flatMap((s) => [timeOfSeq(s), updatedOfSeq(s)]))].flatMap((t) => [
    t,
    new Date(Date.parse(t) + 1000).toISOString(),
  ]);
  return fc.constantFrom(...instants.map(cfTime), '2026-01-15', '2026-01-15T10:00:00.5Z');
}

/** `created_ats`/`updated_ats`: an equality list, or one or two relational operators. */
function timeFilterArb(world: World, key: 'created_ats' | 'updated_ats'): fc.Arbitrary<[string, string][]> {
  const t = timesArb(world);
  return fc.oneof(
    fc.array(t, { minLength: 1, maxLength: 2 }).map((ts) => [[key, ts.join(',')]] as [string, string][]),
    fc
      .uniqueArray(fc.tuple(fc.constantFrom('lt', 'lte', 'gt', 'gte', 'foo'), t), { minLength: 1, maxLength: 2, selector: ([op]) => op })
      .map((ops) => ops.map(([op, time]) => [`${key}[${op}]`, time] as [string, string])),
  );
}

function listOf(values: string[], max = 4): fc.Arbitrary<string> {
  return fc.shuffledSubarray(values, { minLength: 1, maxLength: max }).map((v) => v.join(','));
}

/** Filters of either list; `nested` adds sequence_ids and drops the app/space/org filters mostly. */
function filtersArb(world: World, stranger: string, nested: boolean): fc.Arbitrary<[string, string][]> {
  const guids = [...world.tasks.map((t) => t.guid), stranger];
  const names = [...new Set([...SHARED_TASK_NAMES, ...world.tasks.map((t) => t.name), 'NIGHTLY'])];
  const filters: Record<string, fc.Arbitrary<[string, string][]>> = {
    guids: listOf(guids).map((v) => [['guids', v]]),
    names: listOf(names, 3).map((v) => [['names', v]]),
    states: listOf(CF_STATES, 3).map((v) => [['states', v]]),
    app_guids: listOf([...world.apps.map((a) => a.guid), stranger]).map((v) => [['app_guids', v]]),
    space_guids: listOf([...world.tenants.flatMap((t) => t.spaces.map((s) => s.guid)), stranger], 3).map((v) => [['space_guids', v]]),
    organization_guids: listOf([...world.tenants.map((t) => t.org.guid), stranger], 2).map((v) => [['organization_guids', v]]),
    sequence_ids: listOf(['1', '2', '3', '4', '5', '0'], 3).map((v) => [['sequence_ids', v]]),
    label_selector: fc.shuffledSubarray(LABEL_REQUIREMENTS, { minLength: 1, maxLength: 3 }).map((r) => [['label_selector', r.join(',')]]),
    order_by: fc
      .constantFrom('created_at', '+created_at', '-created_at', 'updated_at', '-updated_at', 'name')
      .map((v) => [['order_by', v]]),
    created_ats: timeFilterArb(world, 'created_ats'),
    updated_ats: timeFilterArb(world, 'updated_ats'),
  };
  // The misplaced filters are rare: each is a 400, and a 400 says less than a list.
  const misplaced = nested ? ['app_guids', 'space_guids', 'organization_guids'] : ['sequence_ids'];
  const weighted = Object.entries(filters).map(([key, arb]) => ({
    arbitrary: arb.map((pairs) => ({ key, pairs })),
    weight: misplaced.includes(key) ? 1 : 6,
  }));
  // Up to three filters: more would mostly match nothing, which says little about what leaks.
  return fc.uniqueArray(fc.oneof(...weighted), { maxLength: 3, selector: (f) => f.key }).map((chosen) => chosen.flatMap((f) => f.pairs));
}

const pagingArb = fc.record({ page: fc.integer({ min: 1, max: 4 }), perPage: fc.integer({ min: 1, max: 7 }) }, { requiredKeys: [] });

const guidsOf = (res: Response): string[] => (res.body?.resources ?? []).map((t: { guid: string }) => t.guid);

function pageOfHref(href: string): number {
  return Number(new URL(href).searchParams.get('page'));
}

/**
 * The caller's answer against the admin's whole answer: this page, then every page reachable
 * through next (to the end), and previous, first and last once each.
 */
async function checkPages(
  ctx: PropertyContext,
  caller: Caller,
  endpoint: string,
  first: Sent,
  expected: string[],
  perPage: number,
  firstPage: number,
) {
  const total = expected.length;
  const check = (res: Response, page: number, via: string) => {
    if (res.status !== 200) throw new PropertyBroken(`${via} as ${caller.role}: ${res.status} ${res.text.slice(0, 300)}`);
    assertEqual(`${via} as ${caller.role}: total_results`, res.body.pagination.total_results, total);
    assertEqual(`${via} as ${caller.role}: total_pages`, res.body.pagination.total_pages, Math.max(1, Math.ceil(total / perPage)));
    assertEqualLists(`${via} as ${caller.role}: page ${page}`, guidsOf(res), expected.slice((page - 1) * perPage, page * perPage));
  };
  const follow = async (href: string, via: string) => {
    const res = await ctx.client.send('cf', caller, endpoint, { method: 'GET', url: pathOf(href) });
    check(res, pageOfHref(href), `${via} ${pathOf(href)}`);
    return res;
  };
  const start = await ctx.client.send('cf', caller, endpoint, first);
  check(start, firstPage, first.url);
  const { pagination } = start.body;
  // Forward through next to the last page, then back through previous to the first.
  let last = start;
  for (let hops = 0, next = pagination.next?.href; next; next = last.body.pagination.next?.href) {
    if (++hops > 60) throw new PropertyBroken(`${first.url}: next links do not end`);
    last = await follow(next, 'next');
  }
  for (
    let hops = 0, previous = last.body.pagination.previous?.href;
    previous;
    previous = (await follow(previous, 'previous')).body.pagination.previous?.href
  ) {
    if (++hops > 60) throw new PropertyBroken(`${first.url}: previous links do not end`);
  }
  await follow(pagination.first.href, 'first');
  await follow(pagination.last.href, 'last');
}

/** GET /v3/tasks with a generated query as a generated caller. */
export function cfTaskListProperty(ctx: PropertyContext, stranger: string) {
  const endpoint = 'GET /v3/tasks';
  return fc.asyncProperty(roleArb, filtersArb(ctx.world, stranger, false), pagingArb, async (role, filters, paging) => {
    const caller = ctx.caller(role);
    const admin = await ctx.asAdmin('cf', endpoint, { method: 'GET', url: `/v3/tasks?${queryOf([...filters, ['per_page', '5000']])}` });
    const pairs: [string, string][] = [...filters];
    if (paging.page) pairs.push(['page', String(paging.page)]);
    if (paging.perPage) pairs.push(['per_page', String(paging.perPage)]);
    const sent: Sent = { method: 'GET', url: `/v3/tasks?${queryOf(pairs)}` };
    if (admin.status !== 200) return sameError(ctx, caller, endpoint, sent, admin);
    const expected = ctx.visibleGuids(caller, guidsOf(admin));
    ctx.noteList(expected.length);
    await checkPages(ctx, caller, endpoint, sent, expected, paging.perPage ?? 50, paging.page ?? 1);
  });
}

/** GET /v3/apps/:guid/tasks for any app of any tenant (or none) as a generated caller. */
export function cfAppTaskListProperty(ctx: PropertyContext, strangers: [string, string]) {
  const stranger = strangers[0];
  const endpoint = 'GET /v3/apps/:guid/tasks';
  const apps = fc.constantFrom(...ctx.world.apps.map((a) => a.guid), stranger);
  return fc.asyncProperty(roleArb, apps, filtersArb(ctx.world, stranger, true), pagingArb, async (role, appGuid, filters, paging) => {
    const caller = ctx.caller(role);
    const pairs: [string, string][] = [...filters];
    if (paging.page) pairs.push(['page', String(paging.page)]);
    if (paging.perPage) pairs.push(['per_page', String(paging.perPage)]);
    const sent: Sent = { method: 'GET', url: `/v3/apps/${appGuid}/tasks?${queryOf(pairs)}` };
    const app = ctx.world.apps.find((a) => a.guid === appGuid);
    if (!app || !visibleTo(caller, app)) {
      // Another tenant's app (or one of the caller's tenant in a space they cannot read) is
      // compared with a guid that exists nowhere; a stranger guid with a second stranger.
      const other = appGuid === strangers[0] ? strangers[1] : strangers[0];
      ctx.outcomes['hidden account or app probed']++;
      const hidden = await ctx.client.send('cf', caller, endpoint, sent);
      const random = await ctx.client.send('cf', caller, endpoint, { method: 'GET', url: sent.url.replace(appGuid, other) });
      return assertSameAnswer(`${sent.url} as ${caller.role}`, { res: hidden, id: appGuid }, { res: random, id: other });
    }
    const admin = await ctx.asAdmin('cf', endpoint, {
      method: 'GET',
      url: `/v3/apps/${appGuid}/tasks?${queryOf([...filters, ['per_page', '5000']])}`,
    });
    if (admin.status !== 200) return sameError(ctx, caller, endpoint, sent, admin);
    const expected = ctx.visibleGuids(caller, guidsOf(admin));
    ctx.noteList(expected.length);
    await checkPages(ctx, caller, endpoint, sent, expected, paging.perPage ?? 50, paging.page ?? 1);
  });
}

/** A request the admin is refused for its query: every caller is refused the same way. */
async function sameError(ctx: PropertyContext, caller: Caller, endpoint: string, sent: Sent, admin: Response) {
  ctx.outcomes['lists refused (4xx, as for the admin)']++;
  const res = await ctx.client.send('cf', caller, endpoint, sent);
  if (res.status !== admin.status || res.text !== admin.text) {
    throw new PropertyBroken(
      `${sent.url} as ${caller.role}: ${res.status} ${res.text.slice(0, 300)}; the admin got ${admin.status} ${admin.text.slice(0, 300)}`,
    );
  }
}
