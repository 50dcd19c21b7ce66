import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore } from '../support/harness.js';
import { ROLES, sharedRoleMatrix } from '../support/role-matrix.js';
import { Permissions } from '../../src/auth/permissions.js';
import { SCOPE_ADMIN, SCOPE_READ, SCOPE_WRITE } from '../../src/auth/scopes.js';
import { assertFeatureEnabled, isFeatureEnabled } from '../../src/fetchers/feature-flags.js';
import type { ApiError } from '../../src/core/errors.js';

describeEachStore('feature flags', (h) => {
  const matrix = sharedRoleMatrix(h);

  test('GET /v3/feature_flags lists every flag by name with CF shape', async () => {
    const res = await h.get('/v3/feature_flags');
    assert.equal(res.status, 200);
    const names = res.body.resources.map((f: any) => f.name);
    assert.deepEqual(names, [
      'app_bits_upload',
      'app_scaling',
      'set_roles_by_username',
      'task_creation',
      'unset_roles_by_username',
      'user_org_creation',
    ]);
    const flag = res.body.resources.find((f: any) => f.name === 'task_creation');
    assert.deepEqual(Object.keys(flag), ['name', 'enabled', 'updated_at', 'custom_error_message', 'links']);
    assert.equal(flag.enabled, true);
    assert.equal(flag.custom_error_message, null);
    assert.match(flag.updated_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.deepEqual(flag.links, { self: { href: 'https://api.example.org/v3/feature_flags/task_creation' } });
    assert.equal(res.body.resources.find((f: any) => f.name === 'user_org_creation').enabled, false);
  });

  test('the list pages and orders by name only', async () => {
    const res = await h.get('/v3/feature_flags?per_page=2&page=2&order_by=-name');
    assert.deepEqual(
      res.body.resources.map((f: any) => f.name),
      ['task_creation', 'set_roles_by_username'],
    );
    assert.equal(res.body.pagination.total_results, 6);
    assert.equal(res.body.pagination.total_pages, 3);
    assert.equal(res.body.pagination.next.href, 'https://api.example.org/v3/feature_flags?order_by=-name&page=3&per_page=2');
    cfError(
      await h.get('/v3/feature_flags?order_by=updated_at'),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Order by can only be: 'name'",
    );
    cfError(
      await h.get('/v3/feature_flags?names=x'),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Unknown query parameter(s): 'names'. Valid parameters are: 'page', 'per_page', 'order_by', 'updated_ats'",
    );
  });

  test('GET one flag; an unknown name is 404', async () => {
    const res = await h.get('/v3/feature_flags/app_scaling');
    assert.equal(res.status, 200);
    assert.equal(res.body.name, 'app_scaling');
    assert.equal(res.body.enabled, true);
    cfError(await h.get('/v3/feature_flags/no_such_flag'), 404, 'CF-ResourceNotFound', 10010, 'Feature flag not found');
  });

  test('every signed-in user may read flags', async () => {
    const m = await matrix();
    for (const role of ROLES) {
      assert.equal((await h.get('/v3/feature_flags', m.tokens[role])).status, 200, role);
      assert.equal((await h.get('/v3/feature_flags/task_creation', m.tokens[role])).status, 200, role);
    }
  });

  test('admin PATCH sets enabled and the custom message; null clears the message', async () => {
    const res = await h.patch('/v3/feature_flags/app_scaling', { enabled: false, custom_error_message: 'scaling is paused' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.enabled, false);
    assert.equal(res.body.custom_error_message, 'scaling is paused');
    assert.equal((await h.get('/v3/feature_flags/app_scaling')).body.enabled, false);
    const onlyEnabled = await h.patch('/v3/feature_flags/app_scaling', { enabled: true });
    assert.equal(onlyEnabled.body.enabled, true);
    assert.equal(onlyEnabled.body.custom_error_message, 'scaling is paused');
    const cleared = await h.patch('/v3/feature_flags/app_scaling', { custom_error_message: null });
    assert.equal(cleared.body.custom_error_message, null);
    assert.equal(cleared.body.enabled, true);
  });

  test('PATCH validation messages', async () => {
    const bad = (body: unknown, detail: string) =>
      h.patch('/v3/feature_flags/app_bits_upload', body).then((r) => cfError(r, 422, 'CF-UnprocessableEntity', 10008, detail));
    await bad({ enabled: 'yes', foo: 1 }, "Unknown field(s): 'foo', Enabled must be a boolean");
    await bad({ enabled: null }, 'Enabled must be a boolean');
    await bad({ custom_error_message: 5 }, 'Custom error message must be a string');
    await bad({ custom_error_message: '' }, 'Custom error message is too short (minimum is 1 character)');
    await bad({ custom_error_message: 'x'.repeat(251) }, 'Custom error message is too long (maximum is 250 characters)');
    assert.equal((await h.patch('/v3/feature_flags/app_bits_upload', { custom_error_message: 'x'.repeat(250) })).status, 200);
    cfError(await h.patch('/v3/feature_flags/nope', { enabled: true }), 404, 'CF-ResourceNotFound', 10010, 'Feature flag not found');
  });

  test('only admins may PATCH a flag, and the refusal comes before body validation', async () => {
    const m = await matrix();
    for (const role of ROLES) {
      if (role === 'admin') continue;
      cfError(
        await h.patch('/v3/feature_flags/user_org_creation', { enabled: 'not-a-boolean' }, m.tokens[role]),
        403,
        'CF-NotAuthorized',
        10003,
      );
    }
    assert.equal((await h.get('/v3/feature_flags/user_org_creation')).body.enabled, false);
  });

  test('flag checks for guarded actions: off refuses non-admins with the flag name or its custom message', async () => {
    const user = new Permissions(1, 'u', [SCOPE_READ, SCOPE_WRITE], []);
    const admin = new Permissions(2, 'a', [SCOPE_READ, SCOPE_WRITE, SCOPE_ADMIN], []);
    assert.equal(await isFeatureEnabled(h.db, 'task_creation'), true);
    await assertFeatureEnabled(h.db, user, 'task_creation');
    await h.patch('/v3/feature_flags/task_creation', { enabled: false });
    assert.equal(await isFeatureEnabled(h.db, 'task_creation'), false);
    await assert.rejects(assertFeatureEnabled(h.db, user, 'task_creation'), (err: ApiError) => {
      assert.equal(err.status, 403);
      assert.equal(err.definition.title, 'FeatureDisabled');
      assert.equal(err.definition.code, 330002);
      assert.equal(err.detail, 'Feature Disabled: task_creation');
      return true;
    });
    await assertFeatureEnabled(h.db, admin, 'task_creation');
    await h.patch('/v3/feature_flags/task_creation', { custom_error_message: 'tasks are paused for maintenance' });
    await assert.rejects(
      assertFeatureEnabled(h.db, user, 'task_creation'),
      (err: ApiError) => err.detail === 'Feature Disabled: tasks are paused for maintenance',
    );
    await h.patch('/v3/feature_flags/task_creation', { enabled: true, custom_error_message: null });
    await assertFeatureEnabled(h.db, user, 'task_creation');
  });
});
