// vSphere sessions are bounded (issue 17, finding 11): an idle time and a maximum age, both
// configurable, after which a session answers as an unknown one does and the maintenance sweep
// deletes it; and a per-user cap, beyond which a login is refused (429 service_unavailable) until
// one of the user's sessions ends. Sessions are aged by moving their times back in the store.
// Only the cap is a matter of logging in: the other tests store their sessions directly
// (fixtureSession), as a first login of each user would cost a full scrypt hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describeEachStore } from '../../support/harness.js';
import { apiError, basic, call, fixtureSession, openSession, restError } from './helpers.js';
import { deleteExpiredSessions, vsphereSessionLimits } from '../../../src/actions/vsphere-sessions.js';

const REST = '/rest/com/vmware/cis/session';
const hashOf = (id: string) => createHash('sha256').update(id).digest('hex');
const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

describeEachStore(
  'vSphere session limits',
  (h) => {
    const age = (id: string, times: { created_at?: string; last_accessed_at?: string }) =>
      h.db.updateTable('vsphere_sessions').set(times).where('id_hash', '=', hashOf(id)).execute();
    const stored = (id: string) => h.db.selectFrom('vsphere_sessions').selectAll().where('id_hash', '=', hashOf(id)).executeTakeFirst();

    test('a session idle for the configured time answers as an unknown one; one used within it lives on', async () => {
      const user = await h.user();
      const idle = await fixtureSession(h, user);
      const recent = await fixtureSession(h, user);
      await age(idle, { last_accessed_at: ago(601) });
      await age(recent, { last_accessed_at: ago(500) });
      restError(await call(h, 'POST', `${REST}?~action=get`, idle), 401, 'unauthenticated', 'unknown or has expired');
      apiError(await call(h, 'GET', '/api/session', idle), 401, 'UNAUTHENTICATED');
      assert.equal((await call(h, 'GET', '/api/session', recent)).status, 200);
    });

    test('a session older than the maximum age has ended, however busy it was', async () => {
      const old = await fixtureSession(h, await h.user());
      await age(old, { created_at: ago(3601), last_accessed_at: ago(1) });
      restError(await call(h, 'GET', '/rest/cis/tasks?filter_spec.services=taskd.task', old), 401, 'unauthenticated');
      apiError(await call(h, 'GET', '/api/session', old), 401, 'UNAUTHENTICATED');
    });

    test('the maintenance sweep deletes idle and too old sessions, and keeps live ones', async () => {
      const user = await h.user();
      const [idle, old, live] = [await fixtureSession(h, user), await fixtureSession(h, user), await fixtureSession(h, user)];
      await age(idle, { last_accessed_at: ago(601) });
      await age(old, { created_at: ago(3601) });
      assert.ok((await deleteExpiredSessions(h.db, vsphereSessionLimits(h.config))) >= 2);
      assert.equal(await stored(idle), undefined);
      assert.equal(await stored(old), undefined);
      assert.ok(await stored(live));
    });

    test('one login beyond the per-user cap is refused 429 in each envelope, with Retry-After; other users are not', async () => {
      const user = await h.user();
      const login = (path: string) => h.request('POST', path, { headers: { authorization: basic(user.username, `pw-${user.username}`) } });
      const held = [await openSession(h, user), await openSession(h, user), await openSession(h, user)];

      const rest = await login(REST);
      restError(rest, 429, 'service_unavailable', 'most sessions allowed (3)');
      // The first of them expires after the idle time unless used: that is when to come back.
      const retryAfter = Number(rest.headers['retry-after']);
      assert.ok(retryAfter > 500 && retryAfter <= 600, `Retry-After: ${rest.headers['retry-after']}`);
      apiError(await login('/api/session'), 429, 'SERVICE_UNAVAILABLE');
      assert.equal((await h.db.selectFrom('vsphere_sessions').select('id_hash').where('user_guid', '=', user.guid).execute()).length, 3);

      const neighbour = await h.user();
      assert.ok(await openSession(h, neighbour));

      // Ending one frees its place; so does one expiring.
      assert.equal((await call(h, 'DELETE', '/api/session', held[0])).status, 204);
      assert.ok(await openSession(h, user));
      await age(held[1]!, { last_accessed_at: ago(601) });
      assert.ok(await openSession(h, user));
      restError(await login(REST), 429, 'service_unavailable');
    });

    test('using a session writes its last access at most once a minute, not on every request', async () => {
      const id = await fixtureSession(h, await h.user());
      const before = (await stored(id))!.last_accessed_at;
      for (let i = 0; i < 3; i++) assert.equal((await call(h, 'GET', '/api/session', id)).status, 200);
      assert.equal((await stored(id))!.last_accessed_at, before);

      await age(id, { last_accessed_at: ago(61) });
      const info = await call(h, 'GET', '/api/session', id);
      assert.ok(Date.parse(info.body.last_accessed_time) > Date.now() - 60_000, info.text);
      assert.equal((await stored(id))!.last_accessed_at, info.body.last_accessed_time);
    });
  },
  { vsphereSessionsPerUser: 3, vsphereSessionIdleSeconds: 600, vsphereSessionMaxAgeSeconds: 3600 },
);
