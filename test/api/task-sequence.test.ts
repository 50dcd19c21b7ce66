import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/harness.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';

describeEachStore('task sequence ids', (h) => {
  test('50 simultaneous creates on one app get sequence ids exactly 1..50', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const { app } = await appWithCurrentDroplet(h, space.guid);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => h.post(`/v3/apps/${app.guid}/tasks`, { name: `t${i}`, command: 'sleep 300' })),
    );
    for (const res of responses) assert.equal(res.status, 202, res.text);
    const ids = responses.map((r) => r.body.sequence_id as number).sort((a, b) => a - b);
    assert.deepEqual(
      ids,
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    const next = await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'sleep 300' });
    assert.equal(next.body.sequence_id, 51);
  });

  test('sequence ids count per app', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const a = (await appWithCurrentDroplet(h, space.guid)).app;
    const b = (await appWithCurrentDroplet(h, space.guid)).app;
    const seq = async (appGuid: string) => (await h.post(`/v3/apps/${appGuid}/tasks`, { command: 'sleep 300' })).body.sequence_id;
    assert.equal(await seq(a.guid), 1);
    assert.equal(await seq(a.guid), 2);
    assert.equal(await seq(b.guid), 1);
    assert.equal(await seq(a.guid), 3);
  });
});
