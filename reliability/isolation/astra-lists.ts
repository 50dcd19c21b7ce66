// Astra task lists: GET /accounts/:account_id/core/v1/tasks with generated filter, include,
// limit, count and continue (and an unsupported orderBy now and then), for each tenant's account
// and a stranger's, as every role. Following `continue` to the end must give the admin's answer
// cut down to what the caller may read, and `count` its length; an account the caller does not
// belong to answers as one that exists nowhere.
import fc from 'fast-check';
import type { Response } from '../../test/support/harness.js';
import { assertSameAnswer, PropertyBroken, type Sent } from './client.js';
import { assertEqual, assertEqualLists, queryOf, roleArb, type PropertyContext } from './context.js';
import { SHARED_TASK_NAMES, timeOfSeq, updatedOfSeq, type World } from './world.js';

const ASTRA_STATES = ['notStarted', 'running', 'completed', 'pausing', 'paused', 'cancelling', 'cancelled', 'failed'];
const TIME_FIELDS = ['metadata.creationTimestamp', 'metadata.modificationTimestamp', 'startTime', 'endTime'];
const INCLUDABLE = ['summary', 'state', 'resourceID', 'userID', 'metadata', 'percentDone'];

function clauseArb(world: World): fc.Arbitrary<string> {
  const times = [...new Set(world.tasks.flatMap((t) => [timeOfSeq(t.sequenceId), updatedOfSeq(t.sequenceId)]))];
  return fc.oneof(
    fc.constantFrom(...world.tasks.map((t) => t.guid)).map((g) => `id eq '${g}'`),
    fc.tuple(fc.constantFrom('eq', 'in'), fc.constantFrom(...ASTRA_STATES, 'run')).map(([op, s]) => `state ${op} '${s}'`),
    fc.constantFrom(...new Set([...SHARED_TASK_NAMES, ...world.tasks.map((t) => t.name)])).map((n) => `summary eq '${n}'`),
    fc.constantFrom('env', 'tenant', 'example.com/tier', 'missing').map((k) => `metadata.labels.name eq '${k}'`),
    fc
      .tuple(
        fc.constantFrom(...TIME_FIELDS),
        fc.constantFrom('eq', 'lt', 'lte', 'gt', 'gte'),
        fc.constantFrom(...times, '2026-01-15T10:00:01.5Z', 'yesterday'),
      )
      .map(([f, op, t]) => `${f} ${op} '${t}'`),
    fc.constantFrom(...world.apps.map((a) => a.guid)).map((g) => `resourceID eq '${g}'`),
    fc.constantFrom(...world.tenants.map((t) => t.developer.guid)).map((g) => `userID eq '${g}'`),
    fc.constantFrom('nightly', 'only', 'migrate').map((v) => `description in '${v}'`),
    fc.tuple(fc.constantFrom('gte', 'lt', 'eq'), fc.constantFrom('10', '25', '30.5')).map(([op, v]) => `percentDone ${op} '${v}'`),
    fc.constantFrom("name eq 'taskd.task'", "bogus eq 'x'", 'state running'),
  );
}

interface AstraCase {
  filters: string[];
  include?: string[];
  limit?: number;
  count?: boolean;
  orderBy?: boolean;
}

function caseArb(world: World): fc.Arbitrary<AstraCase> {
  const clause = clauseArb(world);
  return fc.record(
    {
      // Each `filter` parameter holds one or more clauses; several parameters are AND-ed too.
      filters: fc.array(
        fc.array(clause, { minLength: 1, maxLength: 2 }).map((c) => c.join(',')),
        { maxLength: 2 },
      ),
      include: fc.shuffledSubarray(INCLUDABLE, { maxLength: 3 }).map((f) => ['id', ...f]),
      limit: fc.integer({ min: 1, max: 6 }),
      count: fc.boolean(),
      orderBy: fc.nat(9).map((n) => n === 0),
    },
    { requiredKeys: ['filters'] },
  );
}

function urlOf(account: string, c: AstraCase, paging: { limit?: number; continue?: string }): string {
  const pairs: [string, string][] = c.filters.map((f) => ['filter', f]);
  if (c.include) pairs.push(['include', c.include.join(',')]);
  if (paging.limit) pairs.push(['limit', String(paging.limit)]);
  if (c.count) pairs.push(['count', 'true']);
  if (c.orderBy) pairs.push(['orderBy', 'metadata.creationTimestamp']);
  if (paging.continue) pairs.push(['continue', paging.continue]);
  return `/accounts/${account}/core/v1/tasks?${queryOf(pairs)}`;
}

const idsOf = (res: Response, c: AstraCase): string[] => (res.body?.items ?? []).map((item: any) => (c.include ? item[0] : item.id));

export function astraTaskListProperty(ctx: PropertyContext, strangers: [string, string]) {
  const endpoint = 'GET /accounts/:account_id/core/v1/tasks';
  const accounts = fc.constantFrom(...ctx.world.tenants.map((t) => t.org.guid), strangers[0]);
  return fc.asyncProperty(roleArb, accounts, caseArb(ctx.world), async (role, account, c) => {
    const caller = ctx.caller(role);
    const first: Sent = { method: 'GET', url: urlOf(account, c, { limit: c.limit }) };
    if (!caller.global && !caller.orgs.has(account)) {
      const other = account === strangers[0] ? strangers[1] : strangers[0];
      ctx.outcomes['hidden account or app probed']++;
      const hidden = await ctx.client.send('astra', caller, endpoint, first);
      const random = await ctx.client.send('astra', caller, endpoint, { method: 'GET', url: urlOf(other, c, { limit: c.limit }) });
      return assertSameAnswer(`${first.url} as ${caller.role}`, { res: hidden, id: account }, { res: random, id: other });
    }
    const admin = await ctx.asAdmin('astra', endpoint, { method: 'GET', url: urlOf(account, { ...c, count: true }, {}) });
    let res = await ctx.client.send('astra', caller, endpoint, first);
    if (admin.status !== 200) {
      ctx.outcomes['lists refused (4xx, as for the admin)']++;
      if (res.status !== admin.status || res.text !== admin.text)
        throw new PropertyBroken(
          `${first.url} as ${caller.role}: ${res.status} ${res.text.slice(0, 300)}; the admin got ${admin.status} ${admin.text.slice(0, 300)}`,
        );
      return;
    }
    const expected = ctx.visibleGuids(caller, idsOf(admin, c));
    ctx.noteList(expected.length);
    const seen: string[] = [];
    for (let hops = 0; ; hops++) {
      if (res.status !== 200)
        throw new PropertyBroken(`page ${hops + 1} of ${first.url} as ${caller.role}: ${res.status} ${res.text.slice(0, 300)}`);
      if (c.count) assertEqual(`${first.url} as ${caller.role}: metadata.count`, res.body.metadata.count, expected.length);
      seen.push(...idsOf(res, c));
      const token = res.body.metadata.continue;
      if (!token) break;
      if (hops > 60) throw new PropertyBroken(`${first.url}: continue tokens do not end`);
      res = await ctx.client.send('astra', caller, endpoint, {
        method: 'GET',
        url: urlOf(account, c, { limit: c.limit, continue: token }),
      });
    }
    assertEqualLists(`${first.url} as ${caller.role}, every page`, seen, expected);
  });
}
