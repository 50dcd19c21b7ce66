import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore } from '../support/harness.js';

describeEachStore('organizations', (h) => {
  test('admin creates an organization with the default quota and labels', async () => {
    const res = await h.post('/v3/organizations', { name: 'acme', metadata: { labels: { env: 'prod' }, annotations: { note: 'hi' } } });
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body), [
      'guid',
      'created_at',
      'updated_at',
      'name',
      'suspended',
      'relationships',
      'metadata',
      'links',
    ]);
    assert.equal(res.body.name, 'acme');
    assert.equal(res.body.suspended, false);
    assert.match(res.body.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.ok(res.body.relationships.quota.data.guid);
    assert.deepEqual(res.body.metadata, { labels: { env: 'prod' }, annotations: { note: 'hi' } });
    assert.equal(res.body.links.self.href, `https://api.example.org/v3/organizations/${res.body.guid}`);
  });

  test('duplicate names are refused regardless of case', async () => {
    await h.org('dup-org');
    cfError(
      await h.post('/v3/organizations', { name: 'DUP-org' }),
      422,
      'CF-UnprocessableEntity',
      10008,
      "Organization 'DUP-org' already exists.",
    );
  });

  test('validation messages are joined', async () => {
    const res = await h.post('/v3/organizations', { name: 5, suspended: 'yes', foo: 1 });
    cfError(res, 422, 'CF-UnprocessableEntity', 10008, "Unknown field(s): 'foo', Name must be a string, Suspended must be a boolean");
  });

  test('metadata values nested 100,000 deep are a 422, not a 500', async () => {
    // Found by the hostile-input check: echoing the value with JSON.stringify overflowed the stack.
    const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const send = (metadata: string) =>
      h.request('POST', '/v3/organizations', {
        token: h.admin.token,
        payload: `{"name":"deep-${metadata.length % 7}","metadata":${metadata}}`,
        headers: { 'content-type': 'application/json' },
      });
    cfError(
      await send(`{"labels":{"env":${deep}}}`),
      422,
      'CF-UnprocessableEntity',
      10008,
      "Metadata label value error: '{…}' contains invalid characters",
    );
    cfError(
      await send(`{"annotations":{"note":${deep}}}`),
      422,
      'CF-UnprocessableEntity',
      10008,
      "Metadata annotation value error: '{…}' must be a string",
    );
    assert.equal(
      (await h.get('/v3/organizations?names=deep-0,deep-1,deep-2,deep-3,deep-4,deep-5,deep-6')).body.pagination.total_results,
      0,
    );
  });

  test('non-admins cannot create organizations', async () => {
    const u = await h.user();
    cfError(await h.post('/v3/organizations', { name: h.unique('o') }, u.token), 403, 'CF-NotAuthorized', 10003);
  });

  test('a user without roles sees no organizations and gets 404 for one', async () => {
    const org = await h.org();
    const u = await h.user();
    const list = await h.get('/v3/organizations', u.token);
    assert.equal(list.status, 200);
    assert.equal(list.body.pagination.total_results, 0);
    assert.equal(list.body.pagination.total_pages, 1);
    cfError(await h.get(`/v3/organizations/${org.guid}`, u.token), 404, 'CF-ResourceNotFound', 10010, 'Organization not found');
  });

  test('lists filter by names case-insensitively and by label selector, with CF links', async () => {
    const a = await h.org(h.unique('Filter'), { metadata: { labels: { tier: 'gold' } } });
    await h.org(h.unique('Filter'));
    const byName = await h.get(`/v3/organizations?names=${encodeURIComponent(a.name.toUpperCase())}`);
    assert.deepEqual(
      byName.body.resources.map((o: any) => o.guid),
      [a.guid],
    );
    const byLabel = await h.get('/v3/organizations?label_selector=tier%3Dgold&per_page=1');
    assert.deepEqual(
      byLabel.body.resources.map((o: any) => o.guid),
      [a.guid],
    );
    assert.equal(
      byLabel.body.pagination.first.href,
      'https://api.example.org/v3/organizations?label_selector=tier%3Dgold&page=1&per_page=1',
    );
  });

  test('PATCH renames, suspends and merges metadata; DELETE answers with a job', async () => {
    const org = await h.org(h.unique('patch'), { metadata: { labels: { a: '1', b: '2' } } });
    const res = await h.patch(`/v3/organizations/${org.guid}`, { suspended: true, metadata: { labels: { a: null, c: '3' } } });
    assert.equal(res.status, 200);
    assert.equal(res.body.suspended, true);
    assert.deepEqual(res.body.metadata.labels, { b: '2', c: '3' });
    const del = await h.delete(`/v3/organizations/${org.guid}`);
    assert.equal(del.status, 202);
    assert.match(String(del.headers.location), /\/v3\/jobs\/[0-9a-f-]{36}$/);
    cfError(await h.get(`/v3/organizations/${org.guid}`), 404, 'CF-ResourceNotFound', 10010, 'Organization not found');
  });
});
