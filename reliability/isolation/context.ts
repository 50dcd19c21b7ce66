// What every isolation property works with: the world, the counting client, a stranger guid per
// run, and the admin's answers, memoised. A filter is a predicate on one task, so what a
// tenant-bound caller is shown must be exactly the admin's answer to the same request cut down to
// the tasks the caller may read (written down by world.ts, not asked of taskd).
import fc from 'fast-check';
import type { Response } from '../../test/support/harness.js';
import { IsolationClient, PropertyBroken, type Api, type Sent } from './client.js';
import { ROLE_NAMES, visibleTo, type Caller, type RoleName, type World, type WorldTask } from './world.js';

export class PropertyContext {
  private readonly adminAnswers = new Map<string, Promise<Response>>();
  /** How the generated list requests came out, to show the generators reach real answers. */
  readonly outcomes = {
    'lists showing tasks': 0,
    'lists showing none': 0,
    'lists refused (4xx, as for the admin)': 0,
    'hidden account or app probed': 0,
  };

  constructor(
    readonly world: World,
    readonly client: IsolationClient,
  ) {}

  caller(role: RoleName): Caller {
    return this.world.callers.find((c) => c.role === role)!;
  }

  /** The admin's answer to a request; the same request is asked once. */
  asAdmin(api: Api, endpoint: string, sent: Sent): Promise<Response> {
    const key = `${api} ${sent.method} ${sent.url} ${JSON.stringify(sent.body ?? null)}`;
    let answer = this.adminAnswers.get(key);
    if (!answer) this.adminAnswers.set(key, (answer = this.client.send(api, this.world.admin, endpoint, sent)));
    return answer;
  }

  noteList(shown: number): void {
    this.outcomes[shown ? 'lists showing tasks' : 'lists showing none']++;
  }

  taskByGuid(guid: string): WorldTask | undefined {
    return this.world.tasks.find((t) => t.guid === guid);
  }

  /** Of these task guids (the admin's answer, in its order), those the caller may read. */
  visibleGuids(caller: Caller, guids: string[]): string[] {
    return guids.filter((g) => {
      const task = this.taskByGuid(g);
      if (!task) throw new PropertyBroken(`the admin was shown task ${g}, which the check did not create`);
      return visibleTo(caller, task);
    });
  }

  visibleIds(caller: Caller, ids: number[]): number[] {
    return ids.filter((id) => {
      const task = this.world.tasks.find((t) => t.id === id);
      if (!task) throw new PropertyBroken(`the admin was shown task id ${id}, which the check did not create`);
      return visibleTo(caller, task);
    });
  }
}

export const roleArb = fc.constantFrom(...ROLE_NAMES);
/** Callers bound to one tenant: those to whom the other tenants must not exist. */
export const tenantRoleArb: fc.Arbitrary<RoleName> = fc.oneof(
  // Developers most: they may write, so every write path of theirs is probed most.
  { arbitrary: fc.constant<RoleName>('space_developer'), weight: 4 },
  {
    arbitrary: fc.constantFrom<RoleName>(
      ...ROLE_NAMES.filter((r) => !['admin', 'admin_read_only', 'global_auditor', 'space_developer'].includes(r)),
    ),
    weight: 8,
  },
);

export function assertEqualLists<T>(what: string, got: T[], expected: T[]): void {
  if (got.length !== expected.length || got.some((g, i) => g !== expected[i])) {
    throw new PropertyBroken(`${what}: got [${got.join(', ')}], expected [${expected.join(', ')}]`);
  }
}

export function assertEqual(what: string, got: unknown, expected: unknown): void {
  if (got !== expected) throw new PropertyBroken(`${what}: got ${String(got)}, expected ${String(expected)}`);
}

/** Query text from pairs; values escaped, keys as given (CF's `created_ats[gt]`). */
export const queryOf = (pairs: [string, string][]) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
