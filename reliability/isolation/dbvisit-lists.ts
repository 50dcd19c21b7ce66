// Dbvisit's POST /task/list with generated params (configuration_id of any tenant's app, none,
// 0, an unknown or an invalid one; show_hidden), as every role with HTTP Basic. The tasks listed
// must be the admin's answer cut down to what the caller may read.
import fc from 'fast-check';
import type { Response } from '../../test/support/harness.js';
import { PropertyBroken, type Sent } from './client.js';
import { assertEqualLists, roleArb, type PropertyContext } from './context.js';

const idsOf = (res: Response): number[] => (res.body?.result?.tasks ?? []).map((t: { task_id: number }) => t.task_id);

export function dbvisitTaskListProperty(ctx: PropertyContext, strangerId: number) {
  const endpoint = 'POST /task/list';
  const params = fc.record(
    {
      configuration_id: fc.constantFrom<unknown>(...ctx.world.apps.map((a) => a.id), 0, strangerId, -1, '1'),
      show_hidden: fc.boolean(),
    },
    { requiredKeys: [] },
  );
  const bodies = fc.oneof(
    params.map((p) => ({ params: p })),
    fc.constant(undefined),
  );
  return fc.asyncProperty(roleArb, bodies, async (role, body) => {
    const caller = ctx.caller(role);
    const sent: Sent = { method: 'POST', url: '/task/list', body };
    const admin = await ctx.asAdmin('dbvisit', endpoint, sent);
    const res = await ctx.client.send('dbvisit', caller, endpoint, sent);
    const what = `POST /task/list ${JSON.stringify(body ?? null)} as ${caller.role}`;
    if (admin.status !== 200 || res.status !== 200) {
      ctx.outcomes['lists refused (4xx, as for the admin)']++;
      if (res.status !== admin.status || res.text !== admin.text)
        throw new PropertyBroken(
          `${what}: ${res.status} ${res.text.slice(0, 300)}; the admin got ${admin.status} ${admin.text.slice(0, 300)}`,
        );
      return;
    }
    const expected = ctx.visibleIds(caller, idsOf(admin));
    ctx.noteList(expected.length);
    assertEqualLists(what, idsOf(res), expected);
  });
}
