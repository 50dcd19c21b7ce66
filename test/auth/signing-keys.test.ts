// Token signing keys as UAA has them: RS256 with a kid, public keys at /token_key(s), private keys
// only encrypted in the database (under the secret key file, which is not in it), rotation with
// the older keys verifying until their tokens have expired.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { createTaskd } from '../../src/taskd.js';
import { cfError, describeEachStore, Harness, PG_URL } from '../support/harness.js';
import { currentSigningKey } from '../support/signing-key.js';

const days = (n: number) => n * 86_400_000;

/** A fresh access token of the admin's (never used, so never in a verified-token cache). */
async function adminToken(h: Harness): Promise<string> {
  return (await h.login('admin', h.adminPassword)).token;
}

const orgsWith = (h: Harness, token: string) => h.request('GET', '/v3/organizations', { token });

describeEachStore('token signing keys', (h) => {
  test('tokens are RS256 with a kid, and /token_keys publishes the key as UAA does: anyone can check a token with it', async () => {
    const token = await adminToken(h);
    const header = decodeProtectedHeader(token);
    assert.equal(header.alg, 'RS256');
    assert.equal(typeof header.kid, 'string');

    const res = await h.request('GET', '/token_keys');
    assert.equal(res.status, 200, 'public: no token needed');
    assert.equal(res.headers['cache-control'], 'no-store');
    const [key] = res.body.keys;
    assert.deepEqual(Object.keys(key).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use', 'value']);
    assert.deepEqual(
      { kty: key.kty, e: key.e, use: key.use, alg: key.alg, kid: key.kid },
      { kty: 'RSA', e: 'AQAB', use: 'sig', alg: 'RS256', kid: header.kid },
    );
    assert.match(key.value, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----$/);
    assert.ok(Buffer.from(key.n, 'base64url').length === 256, 'a 2048-bit modulus');
    // The issuer UAA's tokens name, its token endpoint: OIDC discovery states it (openid-configuration.test.ts).
    const issuer = `${h.config.externalUrl}/oauth/token`;
    const { payload } = await jwtVerify(token, await importSPKI(key.value, 'RS256'), { issuer });
    assert.equal(payload.user_id, h.admin.guid);

    const current = await h.request('GET', '/token_key');
    assert.equal(current.status, 200);
    assert.deepEqual(current.body, key);
  });

  test('the database alone forges nothing: no signing secret in settings, the private key only encrypted', async () => {
    const settings = await h.db.selectFrom('settings').select('name').execute();
    assert.ok(!settings.some((s) => s.name === 'token_signing_key'), 'the HS256 key of before is gone');
    const rows = await h.db.selectFrom('signing_keys').selectAll().execute();
    assert.ok(rows.length >= 1);
    for (const row of rows) {
      assert.doesNotMatch(row.private_encrypted, /PRIVATE KEY|^MII/);
      assert.match(row.private_encrypted, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    }
    // What was forged before: an HS256 token, with a secret read from the database. Whatever it is
    // keyed with (here the published public key, the algorithm-confusion attack), it is refused.
    const [{ public_pem, kid }] = rows;
    const forged = await new SignJWT({
      user_id: h.admin.guid,
      user_name: 'admin',
      scope: ['cloud_controller.admin'],
      client_id: 'cf',
      token_use: 'access',
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid })
      .setIssuer('taskd')
      .setIssuedAt()
      .setExpirationTime('10y')
      .sign(new TextEncoder().encode(public_pem));
    assert.equal((await orgsWith(h, forged)).status, 401);
    // With the secret key file as well, the key opens (what an attacker needs both for).
    const key = await currentSigningKey(h.db, h.config.dataDir);
    const genuine = await new SignJWT({
      user_id: h.admin.guid,
      user_name: 'admin',
      scope: ['cloud_controller.admin'],
      client_id: 'cf',
      token_use: 'access',
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
      .setIssuer('taskd')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);
    assert.equal((await orgsWith(h, genuine)).status, 200);
  });

  test('a token naming no kid, or an unknown one, is refused', async () => {
    const key = await currentSigningKey(h.db, h.config.dataDir);
    for (const kid of [undefined, 'key-unknown']) {
      const token = await new SignJWT({ user_id: h.admin.guid, scope: ['cloud_controller.admin'], client_id: 'cf', token_use: 'access' })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(kid ? { kid } : {}) })
        .setIssuer('taskd')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key.privateKey);
      assert.equal((await orgsWith(h, token)).status, 401, String(kid));
    }
  });

  test('a key older than the rotation period is replaced; tokens it signed keep working until it retires, then it is deleted', async () => {
    const before = await adminToken(h);
    const unused = await adminToken(h);
    const oldKid = decodeProtectedHeader(before).kid!;
    await h.db
      .updateTable('signing_keys')
      .set({ created_at: new Date(Date.now() - days(h.config.signingKeyRotationDays + 1)).toISOString() })
      .where('kid', '=', oldKid)
      .execute();
    await h.taskd.ctx.tokens.keys.rotate({ force: false });

    const after = await adminToken(h);
    const newKid = decodeProtectedHeader(after).kid!;
    assert.notEqual(newKid, oldKid, 'new tokens name the new key');
    assert.equal((await orgsWith(h, before)).status, 200, 'a token of the older key still verifies');
    assert.equal((await orgsWith(h, after)).status, 200);
    const listed = (await h.request('GET', '/token_keys')).body.keys.map((k: { kid: string }) => k.kid);
    assert.deepEqual(listed, [newKid, oldKid], 'the newest first, the older one while it verifies');
    assert.equal((await h.request('GET', '/token_key')).body.kid, newKid);

    const retiring = await h.db.selectFrom('signing_keys').select('retire_after').where('kid', '=', oldKid).executeTakeFirstOrThrow();
    const lifetime = Date.parse(retiring.retire_after!) - Date.now();
    assert.ok(lifetime >= h.config.refreshTokenSeconds * 1000, 'it verifies at least as long as a refresh token lives');

    // Once every token it signed has expired, it is deleted with the next rotation.
    await h.db
      .updateTable('signing_keys')
      .set({ retire_after: new Date(Date.now() - 1000).toISOString() })
      .where('kid', '=', oldKid)
      .execute();
    await h.taskd.ctx.tokens.keys.rotate({ force: true });
    const kids = (await h.db.selectFrom('signing_keys').select('kid').execute()).map((r) => r.kid);
    assert.ok(!kids.includes(oldKid));
    assert.equal((await orgsWith(h, unused)).status, 401, 'a token of a deleted key is refused');
    // The harness's own admin token went with that key (retired early here, as it never is).
    h.admin.token = await adminToken(h);
  });

  test('POST /token_keys (taskd admin rotate-signing-key) is for admins: a new key signs from then on', async () => {
    const user = await h.user();
    cfError(await h.request('POST', '/token_keys', { token: user.token }), 403, 'CF-NotAuthorized', 10003);
    cfError(await h.request('POST', '/token_keys'), 401, 'CF-NotAuthenticated', 10002);

    const earlier = await adminToken(h);
    const made = await h.request('POST', '/token_keys', { token: h.admin.token });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.body.alg, 'RS256');
    assert.equal(decodeProtectedHeader(await adminToken(h)).kid, made.body.kid);
    assert.equal((await orgsWith(h, earlier)).status, 200, 'nobody is logged out');
  });

  test("a task's own token is signed with the current key too", async () => {
    const token = await h.taskd.ctx.tokens.taskToken({
      guid: randomUUID(),
      appGuid: randomUUID(),
      createdBy: h.admin.guid,
      timeoutSeconds: 60,
    });
    assert.equal(decodeProtectedHeader(token).kid, (await h.request('GET', '/token_key')).body.kid);
  });
});

describe('the secret key file', () => {
  let h: Harness;
  before(async () => {
    h = new Harness(PG_URL ? 'postgres' : 'sqlite');
    await h.start();
  });
  after(() => h.stop());

  test('a node starting on a store whose newest key is older than the rotation period makes a new one, and the older one still verifies', async () => {
    const pgSchema = (h as unknown as { pgSchema?: string }).pgSchema;
    const oldToken = (await h.login('admin', h.adminPassword)).token;
    const oldKid = decodeProtectedHeader(oldToken).kid!;
    await h.db
      .updateTable('signing_keys')
      .set({ created_at: new Date(Date.now() - days(h.config.signingKeyRotationDays + 1)).toISOString() })
      .where('kid', '=', oldKid)
      .execute();
    const node = await createTaskd({ ...h.config, runnerSlots: 0 }, { store: { pgSchema, poolSize: 2 } });
    try {
      const current = await node.app.inject({ method: 'GET', url: '/token_key' });
      assert.notEqual(JSON.parse(current.body).kid, oldKid);
      const res = await node.app.inject({ method: 'GET', url: '/v3/organizations', headers: { authorization: `bearer ${oldToken}` } });
      assert.equal(res.statusCode, 200);
    } finally {
      await node.close();
    }
  });

  test('another node on the same database, given another secret key file, refuses to start and says to copy the file', async () => {
    const otherDir = mkdtempSync(path.join(tmpdir(), 'taskd-other-node-'));
    try {
      const pgSchema = (h as unknown as { pgSchema?: string }).pgSchema;
      const other = { ...h.config, dataDir: otherDir, runnerSlots: 0, secretKeyFile: path.join(otherDir, 'secret.key') };
      if (h.kind === 'sqlite') {
        // On SQLite "another node" is the same data directory with a different secret key file.
        other.dataDir = h.config.dataDir;
      }
      // Missing: not silently made anew beside keys it cannot open.
      await assert.rejects(createTaskd(other, { store: { pgSchema, poolSize: 2 } }), {
        message: `the secret key file ${other.secretKeyFile} does not exist, but the database holds token signing keys encrypted under one: copy the secret key file from the node that first started on this database to that path (or set TASKD_SECRET_KEY_FILE to it)`,
      });
      // Present, but another one.
      writeFileSync(other.secretKeyFile, Buffer.alloc(32, 7), { mode: 0o600 });
      await assert.rejects(createTaskd(other, { store: { pgSchema, poolSize: 2 } }), {
        message: `the secret key file ${other.secretKeyFile} does not decrypt the token signing keys in the database: every taskd node sharing a database needs the same secret key file; copy it from the node that first started on this database (TASKD_SECRET_KEY_FILE)`,
      });
      // Readable by others: refused before it is used.
      chmodSync(other.secretKeyFile, 0o640);
      await assert.rejects(createTaskd(other, { store: { pgSchema, poolSize: 2 } }), {
        message: `${other.secretKeyFile} has mode 0640, wider than 0600; it holds secrets: chmod 600 ${other.secretKeyFile}`,
      });
      // The same file as the first node: it starts, and accepts the first node's tokens.
      const node = await createTaskd({ ...other, secretKeyFile: h.config.secretKeyFile }, { store: { pgSchema, poolSize: 2 } });
      try {
        const res = await node.app.inject({
          method: 'GET',
          url: '/v3/organizations',
          headers: { authorization: `bearer ${h.admin.token}` },
        });
        assert.equal(res.statusCode, 200);
      } finally {
        await node.close();
      }
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});
