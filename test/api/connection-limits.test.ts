// No tenant can deny service to another (issue 17, finding 1): one user's live log streams and
// requests in progress, and one address's connections, are capped, each refusal a 429 in the
// dialect's envelope; other users and the health probes keep being answered. On a real port,
// since connections are what is limited. HTTP is the same whatever the store: SQLite only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { Harness, type Actor } from '../support/harness.js';
import { appInNewSpace, seedTask } from '../support/tasks.js';
import { eventually, sleep } from '../runner/helpers.js';
import { addressKey, REFUSAL_DELAY_MS } from '../../src/api/connection-limits.js';

interface Listening {
  h: Harness;
  port: number;
}

function listening(overrides: ConstructorParameters<typeof Harness>[1]): Listening {
  const it: Listening = { h: new Harness('sqlite', { runnerSlots: 0, ...overrides }), port: 0 };
  before(async () => {
    await it.h.start();
    await it.h.taskd.app.listen({ port: 0, host: '127.0.0.1' });
    it.port = (it.h.taskd.app.server.address() as net.AddressInfo).port;
  });
  after(() => it.h.stop());
  return it;
}

/** An open live log stream, or the answer that refused it. */
async function openStream(port: number, taskGuid: string, token: string) {
  const abort = new AbortController();
  const res = await fetch(`http://127.0.0.1:${port}/v3/tasks/${taskGuid}/log`, {
    headers: { accept: 'text/event-stream', authorization: `bearer ${token}` },
    signal: abort.signal,
  });
  const close = () => abort.abort();
  return { res, close };
}

/** A raw connection; `send` writes, `answer` collects what came back until the server closed it. */
function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d) => (received += d));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const connected = new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  return {
    socket,
    connected,
    closed,
    get received() {
      return received;
    },
    send: (text: string) => socket.write(text),
    /** Resolves with the first answer's head and body once it is complete. */
    answer: async (): Promise<{ status: number; head: string; body: any }> => {
      for (;;) {
        const end = received.indexOf('\r\n\r\n');
        if (end >= 0) {
          const head = received.slice(0, end);
          const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
          if (received.length >= end + 4 + length) {
            const text = received.slice(end + 4, end + 4 + length);
            return { status: Number(head.split(' ')[1]), head, body: text ? JSON.parse(text) : undefined };
          }
        }
        if (socket.destroyed && !socket.readable) throw new Error(`closed without a whole answer: ${JSON.stringify(received)}`);
        await sleep(10);
      }
    },
  };
}

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;

function assertCfRateLimited(res: { status: number; body: any }, retryAfter: string | null | undefined): void {
  assert.equal(res.status, 429, JSON.stringify(res.body));
  assert.deepEqual(res.body.errors, [{ title: 'CF-RateLimitExceeded', code: 10013, detail: 'Rate Limit Exceeded' }]);
  assert.ok(Number(retryAfter) >= 1, `Retry-After: ${retryAfter}`);
}

describe('live log streams per user', () => {
  const it = listening({ maxStreamsPerUser: 2 });
  let developer: Actor;
  let neighbour: Actor;
  let taskGuid: string;

  before(async () => {
    const { h } = it;
    const { space, app } = await appInNewSpace(h);
    developer = await h.user();
    neighbour = await h.user();
    await h.role('space_developer', developer.guid, { space: space.guid });
    await h.role('space_developer', neighbour.guid, { space: space.guid });
    taskGuid = (await seedTask(h, app.guid)).guid;
  });

  test('one stream beyond the cap is 429 in CF envelope; another user and /healthz are still answered; a closed stream frees its place', async () => {
    const { port, h } = it;
    const held = [await openStream(port, taskGuid, developer.token), await openStream(port, taskGuid, developer.token)];
    for (const s of held) assert.equal(s.res.status, 200);

    const refused = await openStream(port, taskGuid, developer.token);
    assertCfRateLimited({ status: refused.res.status, body: await refused.res.json() }, refused.res.headers.get('retry-after'));
    // Refused before its task is looked up, and late: a client retrying in a loop costs the store
    // nothing and comes back once a second at most. A task that does not exist is never found.
    const askedAt = performance.now();
    const unknown = await openStream(port, randomUUID(), developer.token);
    assertCfRateLimited({ status: unknown.res.status, body: await unknown.res.json() }, unknown.res.headers.get('retry-after'));
    assert.ok(performance.now() - askedAt >= REFUSAL_DELAY_MS - 50, `refused after ${performance.now() - askedAt} ms`);

    const other = await openStream(port, taskGuid, neighbour.token);
    assert.equal(other.res.status, 200, 'another user gets a stream');
    other.close();
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(ready.status, 200);

    // The client goes away mid-stream: its place comes back (no leak).
    held[0]!.close();
    let again: Awaited<ReturnType<typeof openStream>> | undefined;
    await eventually('a stream once another was closed', async () => {
      again?.close();
      again = await openStream(port, taskGuid, developer.token);
      if (again.res.status !== 200) await again.res.body?.cancel();
      return again.res.status === 200;
    });
    again!.close();
    held[1]!.close();
    const limits = (await import('../../src/api/connection-limits.js')).tenantLimitsOf(h.taskd.ctx);
    await eventually('every stream given back', () => limits.streamsOf(developer.guid) === 0);
  });
});

describe('requests in progress per user', () => {
  const it = listening({ maxConcurrentRequestsPerUser: 2, maxConnectionsPerAddress: 50 });

  test('a user with as many requests in progress as the cap is answered 429 until one ends; others are not', async () => {
    const { port, h } = it;
    const busy = await h.user();
    const other = await h.user();
    // Requests whose bodies are still on their way: counted from the moment the caller is known.
    const slow = [rawConnection(port), rawConnection(port)];
    for (const c of slow) {
      await c.connected;
      c.send(
        `POST /v3/organizations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: bearer ${busy.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"na`,
      );
    }
    const headers = { authorization: `bearer ${busy.token}` };
    await eventually(
      'the user is at the cap',
      async () => (await fetch(`http://127.0.0.1:${port}/v3/organizations`, { headers })).status === 429,
    );
    const asked = performance.now();
    const refused = await fetch(`http://127.0.0.1:${port}/v3/organizations`, { headers });
    assertCfRateLimited({ status: refused.status, body: await refused.json() }, refused.headers.get('retry-after'));
    // A client in a loop that ignores Retry-After comes back no faster than once a second.
    assert.ok(performance.now() - asked >= REFUSAL_DELAY_MS - 5, 'the refusal is answered only after a delay');

    const theirs = await fetch(`http://127.0.0.1:${port}/v3/organizations`, { headers: { authorization: `bearer ${other.token}` } });
    assert.equal(theirs.status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);

    for (const c of slow) c.socket.destroy();
    await eventually(
      'the user is answered again',
      async () => (await fetch(`http://127.0.0.1:${port}/v3/organizations`, { headers })).status === 200,
    );
  });
});

describe("turns: how many of a user's requests are worked on at once", () => {
  const it = listening({ activeRequestsPerUser: 2, maxConnectionsPerAddress: 50 });

  test('a user with every turn taken waits (not refused) until one of its requests ends; another user is answered meanwhile', async () => {
    const { port, h } = it;
    const busy = await h.user();
    const other = await h.user();
    const slow = [rawConnection(port), rawConnection(port)];
    for (const c of slow) {
      await c.connected;
      c.send(
        `POST /v3/organizations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: bearer ${busy.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"na`,
      );
    }
    const limits = (await import('../../src/api/connection-limits.js')).tenantLimitsOf(h.taskd.ctx);
    // Read by the server before the next request comes: on a loaded machine it may read another
    // connection first, and that request would take a turn meant for these.
    await eventually('the two slow requests hold both turns', () => limits.workingOf(busy.guid) === 2);
    let answered = false;
    const waiting = fetch(`http://127.0.0.1:${port}/v3/organizations`, { headers: { authorization: `bearer ${busy.token}` } }).then(
      (res) => {
        answered = true;
        return res;
      },
    );
    await eventually('the third request waits for a turn', () => limits.waitingOf(busy.guid) === 1);

    const theirs = await fetch(`http://127.0.0.1:${port}/v3/organizations`, { headers: { authorization: `bearer ${other.token}` } });
    assert.equal(theirs.status, 200);
    assert.equal(answered, false, "the busy user's third request must wait while its two turns are taken");

    slow[0]!.socket.destroy();
    const res = await waiting;
    assert.equal(res.status, 200, 'it is answered, not refused, once a turn is free');
    slow[1]!.socket.destroy();
  });

  test('a live stream gives its turn back: a user following its tasks can still ask for anything', async () => {
    const { port, h } = it;
    const { space, app } = await appInNewSpace(h);
    const follower = await h.user();
    await h.role('space_developer', follower.guid, { space: space.guid });
    const taskGuid = (await seedTask(h, app.guid)).guid;
    const streams = [await openStream(port, taskGuid, follower.token), await openStream(port, taskGuid, follower.token)];
    for (const s of streams) assert.equal(s.res.status, 200);
    const res = await fetch(`http://127.0.0.1:${port}/v3/tasks/${taskGuid}`, { headers: { authorization: `bearer ${follower.token}` } });
    assert.equal(res.status, 200);
    for (const s of streams) s.close();
  });
});

describe('turns are handed on through the event loop', () => {
  const it = listening({
    activeRequestsPerUser: 1,
    maxConcurrentRequestsPerUser: 400,
    maxConnectionsPerAddress: 400,
    requestsPerSecondPerUser: 0,
  });

  test("a user's queued requests do not run back to back: another user's request is answered while most of them still wait", async () => {
    const { port, h } = it;
    const busy = await h.user();
    const other = await h.user();
    const limits = (await import('../../src/api/connection-limits.js')).tenantLimitsOf(h.taskd.ctx);
    // The busy user's one turn, held by a request whose body never comes.
    const holder = rawConnection(port);
    await holder.connected;
    holder.send(
      `POST /v3/organizations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: bearer ${busy.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"na`,
    );
    await eventually('the holder has the turn', () => limits.workingOf(busy.guid) === 1);
    const queued = Array.from({ length: 200 }, () =>
      fetch(`http://127.0.0.1:${port}/v3/organizations`, { headers: { authorization: `bearer ${busy.token}` } }),
    );
    await eventually('200 requests wait for the turn', () => limits.waitingOf(busy.guid) === 200);

    const quiet = rawConnection(port);
    await quiet.connected;
    let stillWaiting = -1;
    quiet.socket.once('data', () => (stillWaiting = limits.waitingOf(busy.guid)));
    // The turn comes free, and at once another user asks.
    holder.socket.destroy();
    quiet.send(`GET /v3/organizations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: bearer ${other.token}\r\n\r\n`);
    assert.equal((await quiet.answer()).status, 200);
    assert.ok(stillWaiting > 100, `the other user was answered only after ${200 - stillWaiting} of the 200 queued requests ran`);
    assert.deepEqual(new Set(await Promise.all(queued.map(async (r) => (await r).status))), new Set([200]));
    quiet.socket.destroy();
  });
});

describe("the pace: how many of a user's requests start each second", () => {
  const it = listening({ requestsPerSecondPerUser: 5, maxConnectionsPerAddress: 50 });

  test('requests beyond the pace wait (not refused) and start at its rate; another user is answered meanwhile', async () => {
    const { port, h } = it;
    const busy = await h.user();
    const other = await h.user();
    const limits = (await import('../../src/api/connection-limits.js')).tenantLimitsOf(h.taskd.ctx);
    const started = performance.now();
    // Two seconds' worth (10) go at once; the next 10 start at 5 a second.
    const all = Array.from({ length: 20 }, () =>
      fetch(`http://127.0.0.1:${port}/v3/organizations`, { headers: { authorization: `bearer ${busy.token}` } }),
    );
    await eventually('requests of the busy user wait for the pace', () => limits.waitingOf(busy.guid) > 0);
    const theirs = await fetch(`http://127.0.0.1:${port}/v3/organizations`, { headers: { authorization: `bearer ${other.token}` } });
    assert.equal(theirs.status, 200);
    assert.ok(limits.waitingOf(busy.guid) > 0, "another user's request is answered while the busy user's still wait");
    const statuses = await Promise.all(all.map(async (r) => (await r).status));
    assert.deepEqual(new Set(statuses), new Set([200]), 'every paced request is answered');
    assert.ok(performance.now() - started >= 1800, 'ten requests beyond the burst took at least two seconds at 5 a second');
  });

  test('an operator (admin scope) is not paced', async () => {
    const { port, h } = it;
    const limits = (await import('../../src/api/connection-limits.js')).tenantLimitsOf(h.taskd.ctx);
    const admin = h.admin;
    let waited = false;
    const all = Array.from({ length: 30 }, () =>
      fetch(`http://127.0.0.1:${port}/v3/organizations`, { headers: { authorization: `bearer ${admin.token}` } }).then((r) => {
        waited ||= limits.waitingOf(admin.guid) > 0;
        return r.status;
      }),
    );
    assert.deepEqual(new Set(await Promise.all(all)), new Set([200]));
    assert.equal(waited, false, "an operator's requests never wait for a pace");
  });
});

describe('connections per address', () => {
  const it = listening({ maxConnectionsPerAddress: 3 });

  test('a connection beyond the address cap gets 429 in the dialect envelope and is closed; the probes still answer on it', async () => {
    const { port } = it;
    const held = [rawConnection(port), rawConnection(port), rawConnection(port)];
    for (const c of held) await c.connected;

    const extra = rawConnection(port);
    await extra.connected;
    extra.send(get('/v3/info'));
    const answer = await extra.answer();
    assertCfRateLimited(answer, /retry-after: (\d+)/i.exec(answer.head)?.[1]);
    assert.match(answer.head, /connection: close/i);
    await extra.closed;

    const vsphere = rawConnection(port);
    await vsphere.connected;
    vsphere.send(get('/api/session'));
    const vsphereAnswer = await vsphere.answer();
    assert.equal(vsphereAnswer.status, 429);
    assert.equal(vsphereAnswer.body.error_type, 'SERVICE_UNAVAILABLE');
    await vsphere.closed;

    const dbvisit = rawConnection(port);
    await dbvisit.connected;
    dbvisit.send('POST /task/list HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
    const dbvisitAnswer = await dbvisit.answer();
    assert.equal(dbvisitAnswer.status, 429);
    assert.equal(dbvisitAnswer.body.successful, false);
    await dbvisit.closed;

    const astra = rawConnection(port);
    await astra.connected;
    astra.send(get('/accounts/x/core/v1/tasks'));
    const astraAnswer = await astra.answer();
    assert.equal(astraAnswer.status, 429);
    assert.match(astraAnswer.head, /content-type: application\/problem\+json/i);
    assert.equal(astraAnswer.body.status, '429');
    await astra.closed;

    const probe = rawConnection(port);
    await probe.connected;
    probe.send(get('/healthz'));
    assert.equal((await probe.answer()).status, 200);
    probe.socket.destroy();

    // One of the address's connections ends: the next one is served.
    held[0]!.socket.destroy();
    await held[0]!.closed;
    await eventually('a connection served again', async () => (await fetch(`http://127.0.0.1:${port}/v3/info`)).status === 200);
    for (const c of held) c.socket.destroy();
  });

  test('a flood from one address is closed at once beyond a few refusals, and cannot hold more', async () => {
    const { port } = it;
    const flood = Array.from({ length: 3 + 8 + 5 }, () => rawConnection(port));
    await Promise.all(flood.map((c) => c.connected));
    try {
      // The ones beyond cap + refusals are closed by the server without a word.
      await eventually('the excess closed', () => flood.filter((c) => c.socket.destroyed).length >= 5);
      const open = flood.filter((c) => !c.socket.destroyed).length;
      assert.ok(open <= 3 + 8, `${open} connections of the flood stay open`);
      assert.ok(flood.every((c) => c.received === ''));
    } finally {
      for (const c of flood) c.socket.destroy();
    }
  });
});

describe('capacity reserved for the probes', () => {
  // Behind a trusted proxy (here: every local client) no address cap applies, so only capacity does.
  const it = listening({ maxConnections: 4, maxConnectionsPerAddress: 3, trustedProxies: ['127.0.0.1'] });

  test('with every connection taken, /healthz and /readyz answer on a new one; anything else is 429', async () => {
    const { port } = it;
    const held = Array.from({ length: 4 }, () => rawConnection(port));
    for (const c of held) await c.connected;

    const probe = rawConnection(port);
    await probe.connected;
    probe.send(get('/healthz'));
    assert.equal((await probe.answer()).status, 200);
    const ready = rawConnection(port);
    await ready.connected;
    ready.send(get('/readyz'));
    assert.equal((await ready.answer()).status, 200);

    const other = rawConnection(port);
    await other.connected;
    other.send(get('/v3/info'));
    const answer = await other.answer();
    assertCfRateLimited(answer, /retry-after: (\d+)/i.exec(answer.head)?.[1]);
    for (const c of [...held, probe, ready, other]) c.socket.destroy();
  });
});

test('addresses are counted as hosts: IPv4 as is (mapped or not), IPv6 by its /64', () => {
  assert.equal(addressKey('203.0.113.7'), '203.0.113.7');
  assert.equal(addressKey('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
});
