import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../../support/harness.js';
import { appInNewSpace, seedTasks } from '../../support/tasks.js';
import { assertProblem, astraGet, invalidParamNames, tasksPath } from './helpers.js';

const at = (minute: number) => `2024-04-01T00:${String(minute).padStart(2, '0')}:00.000Z`;

describeEachStore(
  'GET /accounts/:account_id/core/v1/tasks?continue',
  (h) => {
    test('walks every task once, in order, with the same filter, until a page has no continue', async () => {
      const { org, app } = await appInNewSpace(h);
      const tasks = await seedTasks(
        h,
        app.guid,
        Array.from({ length: 7 }, (_, i) => ({
          created_at: at(i),
          state: i % 3 === 0 ? 'FAILED' : 'SUCCEEDED',
          failure_reason: i % 3 === 0 ? 'Exited with status 2' : null,
        })),
      );
      const filter = `filter=${encodeURIComponent("state eq 'completed'")}`;
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const res = await astraGet(
          h,
          tasksPath(org.guid, `${filter}&limit=2&include=id${token ? `&continue=${encodeURIComponent(token)}` : ''}`),
        );
        assert.equal(res.status, 200, res.text);
        seen.push(...res.body.items.map((i: string[]) => i[0]));
        token = res.body.metadata.continue;
        pages++;
      } while (token);
      assert.deepEqual(
        seen,
        tasks.filter((_, i) => i % 3 !== 0).map((t) => t.guid),
      );
      assert.equal(pages, 2);
    });

    test('tasks created after a page was read show up on later pages; earlier pages do not shift', async () => {
      const { org, app } = await appInNewSpace(h);
      const first = await seedTasks(h, app.guid, [{ created_at: at(1) }, { created_at: at(2) }, { created_at: at(3) }]);
      const page1 = await astraGet(h, tasksPath(org.guid, 'limit=2&include=id'));
      const [late] = await seedTasks(h, app.guid, [{ created_at: at(9) }]);
      const page2 = await astraGet(
        h,
        tasksPath(org.guid, `limit=2&include=id&continue=${encodeURIComponent(page1.body.metadata.continue)}`),
      );
      assert.deepEqual(page2.body.items, [[first[2].guid], [late.guid]]);
    });

    test('a token is the standard base64 alphabet and survives a + sent unencoded', async () => {
      const { org, app } = await appInNewSpace(h);
      await seedTasks(h, app.guid, [{}, {}]);
      const token = (await astraGet(h, tasksPath(org.guid, 'limit=1'))).body.metadata.continue as string;
      assert.match(token, /^[A-Za-z0-9+/]+={0,2}$/);
      const raw = await astraGet(h, tasksPath(org.guid, `limit=1&continue=${token.replace(/=/g, '%3D')}`));
      assert.equal(raw.status, 200, raw.text);
      assert.equal(raw.body.items.length, 1);
    });

    test('a token from another query, another account, or made up is problem 5 naming continue', async () => {
      const { org, app } = await appInNewSpace(h);
      const other = await appInNewSpace(h);
      await seedTasks(h, app.guid, [{ state: 'RUNNING' }, { state: 'RUNNING' }]);
      await seedTasks(h, other.app.guid, [{}, {}]);
      const running = `filter=${encodeURIComponent("state eq 'running'")}`;
      const token = encodeURIComponent((await astraGet(h, tasksPath(org.guid, `${running}&limit=1`))).body.metadata.continue);
      const forged = encodeURIComponent(Buffer.from(JSON.stringify({ q: 'x', a: ['2024', 1] })).toString('base64'));
      const cases = [
        tasksPath(org.guid, `limit=1&continue=${token}`),
        tasksPath(other.org.guid, `${running}&limit=1&continue=${token}`),
        tasksPath(org.guid, `${running}&continue=${forged}`),
        tasksPath(org.guid, 'continue=not*base64'),
        tasksPath(org.guid, `continue=${encodeURIComponent(Buffer.from('{"q":').toString('base64'))}`),
      ];
      for (const url of cases) {
        const res = await astraGet(h, url);
        assertProblem(res, 5);
        assert.deepEqual(invalidParamNames(res), ['continue'], url);
      }
      const sameQuery = await astraGet(h, tasksPath(org.guid, `${running}&limit=5&include=id&continue=${token}`));
      assert.equal(sameQuery.status, 200, 'a token still fits when only limit and include change');
      assert.equal(sameQuery.body.items.length, 1);
    });
  },
  { runnerSlots: 0 },
);
