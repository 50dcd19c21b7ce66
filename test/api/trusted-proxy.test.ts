// TASKD_TRUSTED_PROXIES: behind a listed proxy, X-Forwarded-For names the client that the
// per-address limits count (and the login throttle, which reads request.ip), and
// X-Forwarded-Proto and -Host make the links; from anyone else those headers are ignored, so a
// client cannot pick the address it is counted as nor the host links point to. On a real port:
// connections are what the address limits count. SQLite only: HTTP is the same on both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Harness } from '../support/harness.js';
import { eventually } from '../runner/helpers.js';

function listening(overrides: ConstructorParameters<typeof Harness>[1]) {
  // No TASKD_EXTERNAL_URL: links come from the request.
  const it = { h: new Harness('sqlite', { runnerSlots: 0, externalUrl: undefined, ...overrides }), port: 0 };
  before(async () => {
    await it.h.start();
    await it.h.taskd.app.listen({ port: 0, host: '127.0.0.1' });
    it.port = (it.h.taskd.app.server.address() as net.AddressInfo).port;
  });
  after(() => it.h.stop());
  return it;
}

/** A login whose body never finishes arriving: a request in progress for as long as the socket lives. */
async function unfinishedLogin(port: number, forwardedFor?: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  const xff = forwardedFor ? `X-Forwarded-For: ${forwardedFor}\r\n` : '';
  socket.write(
    `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n${xff}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=`,
  );
  return socket;
}

const info = (port: number, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${port}/v3/info`, { headers });

describe('behind a trusted proxy', () => {
  const it = listening({ trustedProxies: ['127.0.0.0/8'], maxConnectionsPerAddress: 2 });

  test("the forwarded client address is the one limited, not the proxy's", async () => {
    const { port } = it;
    const held = [await unfinishedLogin(port, '203.0.113.7'), await unfinishedLogin(port, '203.0.113.7')];
    try {
      await eventually('the client is at its cap', async () => (await info(port, { 'x-forwarded-for': '203.0.113.7' })).status === 429);
      const refused = await info(port, { 'x-forwarded-for': '203.0.113.7' });
      assert.equal(refused.status, 429);
      assert.deepEqual((await refused.json()).errors, [{ title: 'CF-RateLimitExceeded', code: 10013, detail: 'Rate Limit Exceeded' }]);
      // Another client behind the same proxy, and the proxy's own connections, are not held back.
      assert.equal((await info(port, { 'x-forwarded-for': '203.0.113.8' })).status, 200);
      assert.equal((await info(port, { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' })).status, 200);
    } finally {
      for (const s of held) s.destroy();
    }
    await eventually('the client is served again', async () => (await info(port, { 'x-forwarded-for': '203.0.113.7' })).status === 200);
  });

  test('links follow X-Forwarded-Proto and -Host; a scheme other than http(s) is ignored', async () => {
    const { port } = it;
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'taskd.example.org' },
    });
    assert.equal((await res.json()).links.self.href, 'https://taskd.example.org');
    const odd = await fetch(`http://127.0.0.1:${port}/`, {
      headers: { 'x-forwarded-proto': 'javascript', 'x-forwarded-host': 'taskd.example.org' },
    });
    assert.equal((await odd.json()).links.self.href, 'http://taskd.example.org');
  });
});

describe('without a trusted proxy', () => {
  const it = listening({ maxConnectionsPerAddress: 2 });

  test('X-Forwarded-For is ignored: a client cannot escape its address cap by naming another address', async () => {
    const { port } = it;
    const held = [await unfinishedLogin(port, '203.0.113.7'), await unfinishedLogin(port, '203.0.113.7')];
    try {
      const raw = net.connect(port, '127.0.0.1');
      raw.on('error', () => {});
      let answer = '';
      raw.on('data', (d) => (answer += d));
      await new Promise((resolve) => raw.once('connect', resolve));
      raw.write('GET /v3/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: 198.51.100.77\r\n\r\n');
      await new Promise((resolve) => raw.once('close', resolve));
      assert.match(answer, /^HTTP\/1\.1 429 /);
    } finally {
      for (const s of held) s.destroy();
    }
  });

  test('links ignore X-Forwarded-Proto and -Host', async () => {
    const { port } = it;
    await eventually('connections given back', async () => (await info(port)).status === 200);
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example.org' },
    });
    assert.equal((await res.json()).links.self.href, `http://127.0.0.1:${port}`);
  });
});
