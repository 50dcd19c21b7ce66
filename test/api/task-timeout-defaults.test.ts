// With no settings of its own, taskd gives every task a timeout (a day) and refuses one asking for
// more than a week, in CF's 422 envelope: no task holds a runner slot forever (issue 17, finding 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore } from '../support/harness.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';
import { freshSpace, pretendRunnerElsewhere } from '../support/tasks.js';

describeEachStore(
  'task timeouts by default',
  (h) => {
    test('a task created without timeout_in_seconds ends after a day; more than a week is refused 422', async () => {
      await pretendRunnerElsewhere(h);
      const { app } = await appWithCurrentDroplet(h, (await freshSpace(h)).space.guid);
      const created = await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'sleep 300' });
      assert.equal(created.status, 202, created.text);
      assert.equal(created.body.timeout_in_seconds, 86_400);
      const row = await h.db.selectFrom('tasks').select('timeout_seconds').where('guid', '=', created.body.guid).executeTakeFirst();
      assert.equal(row?.timeout_seconds, 86_400);

      const week = await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'sleep 300', timeout_in_seconds: 604_800 });
      assert.equal(week.status, 202, week.text);
      const tooLong = await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'sleep 300', timeout_in_seconds: 604_801 });
      cfError(tooLong, 422, 'CF-UnprocessableEntity', 10008, 'Timeout in seconds must be less than or equal to 604800');
      const tasks = await h.db
        .selectFrom('tasks')
        .select('guid')
        .where('app_id', '=', (eb) => eb.selectFrom('apps').select('id').where('guid', '=', app.guid))
        .execute();
      assert.equal(tasks.length, 2, 'the refused task left a row');
    });
  },
  { runnerSlots: 0 },
);
