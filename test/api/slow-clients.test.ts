// Slow clients on a real port: a request whose headers or body never finish arriving is answered
// 408 and closed once its configured timeout has passed, while a live log stream (a response
// that goes on for as long as its task runs) outlives those timeouts. HTTP is the same whatever
// the store, so this runs on SQLite only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Harness } from '../support/harness.js';
import { createTask, runnableApp } from '../runner/helpers.js';

/** A client that trickles `head` then one more byte every `everyMs`, and says how the server ended it. */
function trickle(
  port: number,
  head: string,
  everyMs: number,
  giveUpMs: number,
): Promise<{ answer: string; closed: boolean; openMs: number }> {
  return new Promise((resolve) => {
    const opened = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => socket.write(head));
    let answer = '';
    socket.on('data', (d) => (answer += d));
    const drip = setInterval(() => socket.writable && socket.write('x'), everyMs);
    const finish = (closed: boolean) => {
      clearInterval(drip);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ answer, closed, openMs: Date.now() - opened });
    };
    const giveUp = setTimeout(() => finish(false), giveUpMs);
    socket.on('close', () => finish(true));
    socket.on('error', () => {});
  });
}

describe('slow clients', () => {
  const h = new Harness('sqlite', {
    headersTimeoutSeconds: 1,
    requestTimeoutSeconds: 2,
    idleSocketTimeoutSeconds: 3,
    logStreamHeartbeatSeconds: 1,
  });
  let port = 0;

  before(async () => {
    await h.start();
    await h.taskd.app.listen({ port: 0, host: '127.0.0.1' });
    port = (h.taskd.app.server.address() as net.AddressInfo).port;
  });
  after(() => h.stop());

  test('headers that never finish (slowloris) are answered 408 and the connection closed after the headers timeout', async () => {
    // Without a headers timeout checked often, this connection would stay open for 30 s or more.
    const seen = await trickle(port, 'GET /v3/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 200, 15_000);
    assert.ok(seen.closed, `the server kept the connection open for ${seen.openMs} ms`);
    assert.match(seen.answer, /^HTTP\/1\.1 408 /);
  });

  test('a body that never finishes arriving is answered 408 and closed after the request timeout', async () => {
    const head = `POST /v3/organizations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: bearer ${h.admin.token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"name":"`;
    const seen = await trickle(port, head, 200, 15_000);
    assert.ok(seen.closed, `the server kept the connection open for ${seen.openMs} ms`);
    assert.match(seen.answer, /^HTTP\/1\.1 408 /);
  });

  test('a live log stream outlives the request and idle timeouts', async () => {
    const { app } = await runnableApp(h);
    const task = await createTask(h, app.guid, 'sleep 5; echo still-here');
    const res = await fetch(`http://127.0.0.1:${port}/v3/tasks/${task.guid}/log`, {
      headers: { accept: 'text/event-stream', authorization: `bearer ${h.admin.token}` },
    });
    assert.equal(res.status, 200);
    const opened = Date.now();
    let text = '';
    const reader = res.body!.getReader();
    while (!text.includes('event: end')) {
      const { done, value } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    assert.match(text, /still-here/, `the stream ended after ${Date.now() - opened} ms without the task's line:\n${text}`);
    assert.match(text, /event: end/);
  });
});
