// taskd's `timeout_in_seconds` on task create: validated as CF validates its integer fields,
// bounded by the server's maximum, defaulted from the server's setting, shown on the task.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';

const UNPROCESSABLE = ['CF-UnprocessableEntity', 10008] as const;

async function freshApp(h: Harness) {
  const space = await h.space((await h.org()).guid);
  return (await appWithCurrentDroplet(h, space.guid)).app;
}

const create = (h: Harness, appGuid: string, body: unknown) => h.post(`/v3/apps/${appGuid}/tasks`, body);

describeEachStore(
  'timeout_in_seconds on task create',
  (h) => {
    test("is stored and shown after CF's fields; absent, the server default applies", async () => {
      const app = await freshApp(h);
      const res = await create(h, app.guid, { command: 'sleep 300', timeout_in_seconds: 120 });
      assert.equal(res.status, 202, res.text);
      assert.equal(res.body.timeout_in_seconds, 120);
      const keys = Object.keys(res.body);
      assert.ok(keys.indexOf('timeout_in_seconds') > keys.indexOf('links'));
      const defaulted = await create(h, app.guid, { command: 'sleep 300' });
      assert.equal(defaulted.body.timeout_in_seconds, 600);
      const shown = await h.get(`/v3/tasks/${res.body.guid}`);
      assert.equal(shown.body.timeout_in_seconds, 120);
      for (const guid of [res.body.guid, defaulted.body.guid]) await h.post(`/v3/tasks/${guid}/actions/cancel`, {});
    });

    test('is refused when not a positive integer within the server maximum', async () => {
      const app = await freshApp(h);
      const bad = async (body: unknown, detail: string) => cfError(await create(h, app.guid, body), 422, ...UNPROCESSABLE, detail);
      await bad({ command: 'x', timeout_in_seconds: 'abc' }, 'Timeout in seconds is not a number');
      await bad({ command: 'x', timeout_in_seconds: 1.5 }, 'Timeout in seconds must be an integer');
      await bad({ command: 'x', timeout_in_seconds: 0 }, 'Timeout in seconds must be greater than 0');
      await bad({ command: 'x', timeout_in_seconds: 3601 }, 'Timeout in seconds must be less than or equal to 3600');
    });
  },
  { defaultTaskTimeoutSeconds: 600, maximumTaskTimeoutSeconds: 3600 },
);
