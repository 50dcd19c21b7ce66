import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';

async function freshApp(h: Harness) {
  const org = await h.org();
  const space = await h.space(org.guid);
  return { space, ...(await appWithCurrentDroplet(h, space.guid)) };
}

const create = (h: Harness, appGuid: string, body: unknown, key?: string, token = h.admin.token) =>
  h.request('POST', `/v3/apps/${appGuid}/tasks`, { token, body, headers: key === undefined ? {} : { 'idempotency-key': key } });

const taskCount = async (h: Harness, appGuid: string) =>
  Number(
    (
      await h.db
        .selectFrom('tasks')
        .innerJoin('apps', 'apps.id', 'tasks.app_id')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('apps.guid', '=', appGuid)
        .executeTakeFirstOrThrow()
    ).n,
  );

describeEachStore('Idempotency-Key on task create', (h) => {
  test('a retry with the same key and body answers the first task again and creates nothing', async () => {
    const { app } = await freshApp(h);
    const first = await create(h, app.guid, { name: 'once', command: 'sleep 300', memory_in_mb: 64 }, 'key-1');
    assert.equal(first.status, 202, first.text);
    // Same body, other key order and formatting.
    const retry = await create(h, app.guid, { memory_in_mb: 64, command: 'sleep 300', name: 'once' }, 'key-1');
    assert.equal(retry.status, 202, retry.text);
    assert.deepEqual(retry.body, first.body);
    assert.equal(await taskCount(h, app.guid), 1);
    const events = await h.get(`/v3/audit_events?types=audit.app.task.create&target_guids=${app.guid}`);
    assert.equal(events.body.pagination.total_results, 1);
  });

  test('a body nested 100,000 deep with a key is refused with 422, creating nothing', async () => {
    // Found by the hostile-input check: hashing the body for the key overflowed the call stack.
    const { app } = await freshApp(h);
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const res = await h.request('POST', `/v3/apps/${app.guid}/tasks`, {
      token: h.admin.token,
      payload: `{"command":"true","name":${deep}}`,
      headers: { 'content-type': 'application/json', 'idempotency-key': 'deep-1' },
    });
    assert.equal(res.status, 422, res.text);
    assert.equal(res.body.errors[0].title, 'CF-UnprocessableEntity');
    assert.equal(await taskCount(h, app.guid), 0);
  });

  test('the same key for a different request is 409', async () => {
    const { app } = await freshApp(h);
    assert.equal((await create(h, app.guid, { command: 'sleep 300' }, 'key-2')).status, 202);
    cfError(
      await create(h, app.guid, { command: 'sleep 301' }, 'key-2'),
      409,
      'CF-IdempotencyKeyReused',
      10009,
      "Idempotency-Key 'key-2' was already used for a different request",
    );
    const other = await freshApp(h);
    cfError(await create(h, other.app.guid, { command: 'sleep 300' }, 'key-2'), 409, 'CF-IdempotencyKeyReused', 10009);
    assert.equal(await taskCount(h, app.guid), 1);
    assert.equal(await taskCount(h, other.app.guid), 0);
  });

  test('keys belong to their user: another user may use the same key', async () => {
    const { space, app } = await freshApp(h);
    const dev = await h.user();
    await h.role('space_developer', dev.guid, { space: space.guid });
    const mine = await create(h, app.guid, { command: 'sleep 300' }, 'shared');
    const theirs = await create(h, app.guid, { command: 'sleep 300' }, 'shared', dev.token);
    assert.equal(mine.status, 202);
    assert.equal(theirs.status, 202);
    assert.notEqual(mine.body.guid, theirs.body.guid);
  });

  test('simultaneous requests with one key create one task and all answer it', async () => {
    const { app } = await freshApp(h);
    const responses = await Promise.all(Array.from({ length: 10 }, () => create(h, app.guid, { command: 'sleep 300' }, 'burst')));
    for (const res of responses) assert.equal(res.status, 202, res.text);
    assert.equal(new Set(responses.map((r) => r.body.guid)).size, 1);
    assert.equal(await taskCount(h, app.guid), 1);
  });

  test('a refused request does not use up its key', async () => {
    const { app } = await freshApp(h);
    cfError(await create(h, app.guid, { command: 'sleep 300', user: 'root' }, 'retry-me'), 422, 'CF-UnprocessableEntity', 10008);
    const ok = await create(h, app.guid, { command: 'sleep 300' }, 'retry-me');
    assert.equal(ok.status, 202, ok.text);
  });

  test('a key older than 24 hours is bound anew', async () => {
    const { app } = await freshApp(h);
    const first = await create(h, app.guid, { command: 'sleep 300' }, 'old-key');
    const dayAgo = new Date(Date.now() - 25 * 3600 * 1000).toISOString();
    await h.db.updateTable('task_idempotency_keys').set({ created_at: dayAgo }).where('key', '=', 'old-key').execute();
    const second = await create(h, app.guid, { command: 'sleep 300' }, 'old-key');
    assert.equal(second.status, 202, second.text);
    assert.notEqual(second.body.guid, first.body.guid);
    assert.equal(second.body.sequence_id, 2);
    const third = await create(h, app.guid, { command: 'sleep 300' }, 'old-key');
    assert.equal(third.body.guid, second.body.guid);
  });

  test('an invalid key is 422', async () => {
    const { app } = await freshApp(h);
    const detail = 'Idempotency-Key must be 1 to 255 printable ASCII characters, not starting or ending with a space';
    cfError(await create(h, app.guid, { command: 'sleep 300' }, ''), 422, 'CF-UnprocessableEntity', 10008, detail);
    cfError(await create(h, app.guid, { command: 'sleep 300' }, 'k'.repeat(256)), 422, 'CF-UnprocessableEntity', 10008, detail);
    cfError(await create(h, app.guid, { command: 'sleep 300' }, 'tab\there'), 422, 'CF-UnprocessableEntity', 10008, detail);
    assert.equal((await create(h, app.guid, { command: 'sleep 300' }, 'k'.repeat(255))).status, 202);
    assert.equal(await taskCount(h, app.guid), 1);
  });
});
