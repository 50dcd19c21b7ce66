// HTTPS on taskd's own port (TASKD_TLS_CERT_FILE and TASKD_TLS_KEY_FILE), with HSTS, tested with a
// self-signed certificate made here by openssl and real HTTPS requests that verify it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { HSTS } from '../../src/api/response-headers.js';
import { Harness } from '../support/harness.js';
import { TaskdProcess } from '../support/taskd-process.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A real request; over HTTPS it trusts `ca` alone (the certificate is checked, not waved through). */
function send(
  url: string,
  options: { ca?: Buffer; method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, ca: options.ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('TLS', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'taskd-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const otherKey = path.join(dir, 'other-key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', otherKey], { stdio: 'ignore' });
  const ca = readFileSync(cert);
  // Links follow the request: no external URL.
  const h = new Harness('sqlite', { tlsCertFile: cert, tlsKeyFile: key, externalUrl: undefined, runnerSlots: 0 });
  let base = '';

  before(async () => {
    await h.start();
    await h.taskd.app.listen({ host: '127.0.0.1', port: 0 });
    const address = h.taskd.app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `https://127.0.0.1:${address.port}`;
  });
  after(async () => {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('taskd serves HTTPS on its port, every answer with HSTS, and its links say https', async () => {
    const info = await send(`${base}/v3/info`, { ca });
    assert.equal(info.status, 200);
    assert.equal(info.headers['strict-transport-security'], HSTS);
    assert.equal(HSTS, 'max-age=31536000; includeSubDomains');
    assert.equal(JSON.parse(info.body).links.self.href, `${base}/v3/info`);

    const login = await send(`${base}/oauth/token`, {
      ca,
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('cf:').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'admin', password: h.adminPassword }).toString(),
    });
    assert.equal(login.status, 200, login.body);
    assert.equal(login.headers['strict-transport-security'], HSTS);
    const token = JSON.parse(login.body).access_token as string;
    const orgs = await send(`${base}/v3/organizations`, { ca, headers: { authorization: `bearer ${token}` } });
    assert.equal(orgs.status, 200);
    assert.match(JSON.parse(orgs.body).pagination.first.href, /^https:\/\/127\.0\.0\.1:\d+\/v3\/organizations/);
    const missing = await send(`${base}/v3/nothing-here`, { ca, headers: { authorization: `bearer ${token}` } });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['strict-transport-security'], HSTS);
  });

  test('nothing is served in clear text on that port', async () => {
    await assert.rejects(send(base.replace('https:', 'http:') + '/v3/info'));
  });

  test('taskd serve says https in its start line', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-tls-serve-'));
    const taskd = await TaskdProcess.start(
      h,
      { TASKD_TLS_CERT_FILE: cert, TASKD_TLS_KEY_FILE: key, TASKD_RUNNER_SLOTS: '0', TASKD_ADMIN_PASSWORD: h.adminPassword },
      dataDir,
    );
    try {
      const url = /serving (\S+)/.exec(taskd.log)![1];
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const res = await send(`${url}/healthz`, { ca });
      assert.equal(res.status, 200);
      assert.equal(res.headers['strict-transport-security'], HSTS);
    } finally {
      await taskd.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a certificate without its key, an unreadable file, or a key of another certificate is a clear setting error', () => {
    const env = (extra: Record<string, string>) => ({ env: extra });
    assert.throws(() => loadConfig(env({ TASKD_TLS_CERT_FILE: cert })), {
      message: 'TASKD_TLS_CERT_FILE and TASKD_TLS_KEY_FILE go together: set both to serve HTTPS, or neither',
    });
    assert.throws(() => loadConfig(env({ TASKD_TLS_KEY_FILE: key })), { message: /go together/ });
    assert.throws(() => loadConfig(env({ TASKD_TLS_CERT_FILE: cert, TASKD_TLS_KEY_FILE: path.join(dir, 'missing.pem') })), {
      message: `TASKD_TLS_KEY_FILE: cannot read ${path.join(dir, 'missing.pem')}: ENOENT`,
    });
    if (process.getuid?.() !== 0) {
      const locked = path.join(dir, 'locked.pem');
      execFileSync('cp', [key, locked]);
      chmodSync(locked, 0);
      assert.throws(() => loadConfig(env({ TASKD_TLS_CERT_FILE: cert, TASKD_TLS_KEY_FILE: locked })), {
        message: /cannot read .*: EACCES$/,
      });
    }
    assert.throws(() => loadConfig(env({ TASKD_TLS_CERT_FILE: cert, TASKD_TLS_KEY_FILE: otherKey })), {
      message: new RegExp(`^TASKD_TLS_CERT_FILE ${cert} and TASKD_TLS_KEY_FILE ${otherKey} are not a usable certificate and key: `),
    });
    assert.equal(loadConfig(env({ TASKD_TLS_CERT_FILE: cert, TASKD_TLS_KEY_FILE: key })).tlsCertFile, cert);
  });
});

describe('HSTS behind a TLS-terminating proxy', () => {
  const behindProxy = new Harness('sqlite', { externalUrl: 'https://tasks.example.org', runnerSlots: 0 });
  const plain = new Harness('sqlite', { externalUrl: 'http://tasks.example.org', runnerSlots: 0 });
  // No external URL: a trusted proxy (here loopback, where inject's requests come from) says the scheme.
  const trusting = new Harness('sqlite', { externalUrl: undefined, trustedProxies: ['127.0.0.1'], runnerSlots: 0 });
  before(async () => {
    await behindProxy.start();
    await plain.start();
    await trusting.start();
  });
  after(async () => {
    await behindProxy.stop();
    await plain.stop();
    await trusting.stop();
  });

  test('without an external URL, a trusted proxy saying X-Forwarded-Proto: https gets HSTS and https links', async () => {
    const viaHttps = await trusting.request('GET', '/v3/info', {
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'tasks.example.org' },
    });
    assert.equal(viaHttps.headers['strict-transport-security'], HSTS);
    assert.equal(viaHttps.body.links.self.href, 'https://tasks.example.org/v3/info');
    const viaHttp = await trusting.request('GET', '/v3/info', { headers: { 'x-forwarded-proto': 'http' } });
    assert.equal(viaHttp.headers['strict-transport-security'], undefined);
  });

  test('with an https external URL every answer carries HSTS; with plain http none does', async () => {
    for (const url of ['/v3/info', '/healthz', '/v3/organizations']) {
      assert.equal((await behindProxy.request('GET', url)).headers['strict-transport-security'], HSTS, url);
      assert.equal((await plain.request('GET', url)).headers['strict-transport-security'], undefined, url);
    }
  });
});
