// vSphere task lists with generated filter_spec.* and result_spec.*, on all three ways in: GET
// /rest/cis/tasks, GET /api/cis/tasks (both the query encoding, indexed or repeated) and POST
// /api/cis/tasks?action=list (JSON body), as every role and with each caller's own session. The
// tasks listed must be the admin's answer cut down to what the caller may read.
import fc from 'fast-check';
import type { Response } from '../../test/support/harness.js';
import { PropertyBroken, type Sent } from './client.js';
import { assertEqualLists, queryOf, roleArb, type PropertyContext } from './context.js';
import type { World } from './world.js';

const STATUSES = ['PENDING', 'RUNNING', 'BLOCKED', 'SUCCEEDED', 'FAILED', 'CANCELED'];

interface FilterSpec {
  tasks?: string[];
  services?: string[];
  operations?: string[];
  status?: string[];
  targets?: { type: string; id: string }[];
  users?: string[];
}

interface VsphereCase {
  way: 'rest' | 'api-get' | 'api-post';
  filter: FilterSpec;
  returnAll?: boolean;
  /** Query encoding: lists as `filter_spec.x.1=` (true) or repeated `filter_spec.x=`. */
  indexed: boolean;
}

function caseArb(world: World, stranger: string): fc.Arbitrary<VsphereCase> {
  const some = <T>(values: T[], max = 4) => fc.shuffledSubarray(values, { minLength: 1, maxLength: max });
  const fields: fc.Arbitrary<FilterSpec>[] = [
    some([...world.tasks.map((t) => t.guid), stranger]).map((tasks) => ({ tasks })),
    fc.constantFrom<string[]>(['taskd.task'], ['other', 'taskd.task'], ['com.vmware.vcenter']).map((services) => ({ services })),
    fc.constantFrom<string[]>(['run'], ['deploy']).map((operations) => ({ operations })),
    some(STATUSES, 2).map((status) => ({ status })),
    some([...world.apps.map((a) => ({ type: 'app', id: a.guid })), { type: 'vm', id: 'vm-1' }, { type: 'app', id: stranger }], 3).map(
      (targets) => ({ targets }),
    ),
    some([...world.usernames, 'nobody'], 3).map((users) => ({ users })),
  ];
  // Mostly services (or tasks) plus one or two more fields; now and then neither, which is a 400.
  const filter = fc
    .tuple(fc.constantFrom(1, 1, 1, 0, 0, 2), fc.uniqueArray(fc.integer({ min: 2, max: fields.length - 1 }), { maxLength: 2 }))
    .chain(([base, more]) => fc.tuple(...(base === 2 ? [] : [fields[base]]), ...more.map((i) => fields[i])))
    .map((parts) => Object.assign({}, ...parts) as FilterSpec);
  return fc.record(
    { way: fc.constantFrom('rest', 'api-get', 'api-post'), filter, returnAll: fc.boolean(), indexed: fc.boolean() },
    { requiredKeys: ['way', 'filter', 'indexed'] },
  ) as fc.Arbitrary<VsphereCase>;
}

function requestOf(c: VsphereCase): Sent {
  if (c.way === 'api-post') {
    return {
      method: 'POST',
      url: '/api/cis/tasks?action=list',
      body: { filter_spec: c.filter, ...(c.returnAll !== undefined ? { result_spec: { return_all: c.returnAll } } : {}) },
    };
  }
  const pairs: [string, string][] = [];
  for (const [field, values] of Object.entries(c.filter) as [keyof FilterSpec, unknown[]][]) {
    values.forEach((v, i) => {
      if (field === 'targets') {
        const t = v as { type: string; id: string };
        pairs.push([`filter_spec.targets.${i + 1}.type`, t.type], [`filter_spec.targets.${i + 1}.id`, t.id]);
      } else pairs.push([c.indexed ? `filter_spec.${field}.${i + 1}` : `filter_spec.${field}`, v as string]);
    });
  }
  if (c.returnAll !== undefined) pairs.push(['result_spec.return_all', String(c.returnAll)]);
  return { method: 'GET', url: `${c.way === 'rest' ? '/rest' : '/api'}/cis/tasks?${queryOf(pairs)}` };
}

function guidsOf(res: Response, c: VsphereCase): string[] {
  if (c.way === 'rest') return (res.body?.value ?? []).map((e: { key: string }) => e.key);
  return Object.keys(res.body ?? {});
}

export function vsphereTaskListProperty(ctx: PropertyContext, stranger: string) {
  return fc.asyncProperty(roleArb, caseArb(ctx.world, stranger), async (role, c) => {
    const caller = ctx.caller(role);
    const sent = requestOf(c);
    const endpoint =
      c.way === 'api-post' ? 'POST /api/cis/tasks?action=list' : c.way === 'rest' ? 'GET /rest/cis/tasks' : 'GET /api/cis/tasks';
    const admin = await ctx.asAdmin('vsphere', endpoint, sent);
    const res = await ctx.client.send('vsphere', caller, endpoint, sent);
    const what = `${sent.method} ${sent.url} ${sent.body ? JSON.stringify(sent.body) : ''} as ${caller.role}`;
    if (admin.status !== 200 || res.status !== 200) {
      ctx.outcomes['lists refused (4xx, as for the admin)']++;
      if (res.status !== admin.status || res.text !== admin.text)
        throw new PropertyBroken(
          `${what}: ${res.status} ${res.text.slice(0, 300)}; the admin got ${admin.status} ${admin.text.slice(0, 300)}`,
        );
      return;
    }
    const expected = ctx.visibleGuids(caller, guidsOf(admin, c));
    ctx.noteList(expected.length);
    assertEqualLists(what, guidsOf(res, c), expected);
  });
}
