// Before any property: each caller's unfiltered list in each API is exactly the set of tasks
// world.ts recorded as theirs to read, without asking the admin. This anchors the properties,
// which compare with the admin's answers, to an expectation taskd had no hand in.
import type { Response } from '../../test/support/harness.js';
import type { FailureLog } from '../check.js';
import type { IsolationClient } from './client.js';
import { visibleTo, type World } from './world.js';

const sorted = (values: string[]) => [...values].sort();

export async function checkBaseline(world: World, client: IsolationClient, failures: FailureLog): Promise<number> {
  let checked = 0;
  const account = world.tenants[0].org.guid;
  const idToGuid = new Map(world.tasks.map((t) => [t.id, t.guid]));
  for (const caller of world.callers) {
    const expect = (tasks: typeof world.tasks) => sorted(tasks.filter((t) => visibleTo(caller, t)).map((t) => t.guid));
    const everywhere = expect(world.tasks);
    const inAccount = expect(world.tasks.filter((t) => t.orgGuid === account));
    const undismissed = expect(world.tasks.filter((t) => !t.dismissed));
    const lists: [string, () => Promise<Response>, (res: Response) => string[], string[]][] = [
      [
        'CF GET /v3/tasks',
        () => client.send('cf', caller, 'GET /v3/tasks', { method: 'GET', url: '/v3/tasks?per_page=5000' }),
        (r) => r.body.resources.map((t: any) => t.guid),
        everywhere,
      ],
      [
        'Astra account list',
        () =>
          client.send('astra', caller, 'GET /accounts/:account_id/core/v1/tasks', {
            method: 'GET',
            url: `/accounts/${account}/core/v1/tasks`,
          }),
        (r) => (r.status === 200 ? r.body.items.map((t: any) => t.id) : []),
        caller.global || caller.orgs.has(account) ? inAccount : [],
      ],
      [
        'vSphere /rest list',
        () =>
          client.send('vsphere', caller, 'GET /rest/cis/tasks', { method: 'GET', url: '/rest/cis/tasks?filter_spec.services=taskd.task' }),
        (r) => r.body.value.map((e: any) => e.key),
        everywhere,
      ],
      [
        'Dbvisit list',
        () => client.send('dbvisit', caller, 'POST /task/list', { method: 'POST', url: '/task/list', body: { params: {} } }),
        (r) => r.body.result.tasks.map((t: any) => idToGuid.get(t.task_id) ?? `unknown id ${t.task_id}`),
        undismissed,
      ],
    ];
    for (const [what, ask, read, expected] of lists) {
      checked++;
      try {
        const res = await ask();
        const got = sorted(read(res));
        if (got.join() !== expected.join())
          failures.add(
            `baseline: ${what} as ${caller.role} shows ${got.length} tasks, expected ${expected.length}: ${res.text.slice(0, 200)}`,
          );
      } catch (err) {
        failures.add(`baseline: ${what} as ${caller.role}: ${(err as Error).message}`);
      }
    }
  }
  return checked;
}
