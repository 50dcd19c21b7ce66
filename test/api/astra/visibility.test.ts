import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../../support/role-matrix.js';
import { seedTask } from '../../support/tasks.js';
import { assertProblem, astraGet, taskPath, tasksPath } from './helpers.js';

/**
 * What each role sees of an account (the org of the matrix): the same tasks as in the CF API.
 * `all`: both spaces' tasks; `space`: only the matrix space's; `none`: an empty list (the org is
 * readable, its tasks are not); 18: the account is not theirs to see.
 */
const SEES: Record<RoleName, 'all' | 'space' | 'none' | 18> = {
  admin: 'all',
  admin_read_only: 'all',
  global_auditor: 'all',
  org_manager: 'all',
  org_auditor: 'none',
  space_developer: 'space',
  space_manager: 'space',
  space_auditor: 'space',
  space_supporter: 'space',
  no_role: 18,
};

describeEachStore(
  'Astra tasks: who sees what',
  (h) => {
    const matrix = sharedRoleMatrix(h);
    let fixture: Promise<{ inSpace: string; inOtherSpace: string; otherOrg: string; otherOrgTask: string }> | undefined;
    const tasks = () =>
      (fixture ??= (async () => {
        const m = await matrix();
        const otherSpace = await h.space(m.org.guid);
        const inSpace = await seedTask(h, (await h.app(m.space.guid)).guid);
        const inOtherSpace = await seedTask(h, (await h.app(otherSpace.guid)).guid);
        const otherOrg = await h.org();
        const otherOrgTask = await seedTask(h, (await h.app((await h.space(otherOrg.guid)).guid)).guid);
        return { inSpace: inSpace.guid, inOtherSpace: inOtherSpace.guid, otherOrg: otherOrg.guid, otherOrgTask: otherOrgTask.guid };
      })());

    for (const role of ROLES) {
      test(`${role}: lists and shows ${SEES[role] === 18 ? 'nothing (problem 18)' : `${SEES[role]} of the account's tasks`}`, async () => {
        const m = await matrix();
        const t = await tasks();
        const token = m.tokens[role];
        const list = await astraGet(h, tasksPath(m.org.guid, 'include=id&count=true'), token);
        const shown = async (guid: string) => {
          const res = await astraGet(h, taskPath(m.org.guid, guid), token);
          if (SEES[role] === 18) assertProblem(res, 18);
          else if (res.status !== 200) assertProblem(res, 1);
          return res.status === 200;
        };
        if (SEES[role] === 18) {
          assertProblem(list, 18);
        } else {
          const expected = { all: [t.inSpace, t.inOtherSpace], space: [t.inSpace], none: [] }[SEES[role]];
          assert.deepEqual(
            list.body.items.map((i: string[]) => i[0]),
            expected,
          );
          assert.equal(list.body.metadata.count, expected.length, 'the count counts only what the caller may see');
        }
        assert.equal(await shown(t.inSpace), SEES[role] === 'all' || SEES[role] === 'space');
        assert.equal(await shown(t.inOtherSpace), SEES[role] === 'all');
        // Another org's task is never part of this account, even for those who may read it.
        assert.equal(await shown(t.otherOrgTask), false);
      });
    }

    test('an admin reads another account by its own id', async () => {
      const t = await tasks();
      const res = await astraGet(h, tasksPath(t.otherOrg, 'include=id'));
      assert.deepEqual(res.body.items, [[t.otherOrgTask]]);
    });
  },
  { runnerSlots: 0 },
);
