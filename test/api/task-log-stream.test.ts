// GET /v3/tasks/:guid/log with Accept: text/event-stream (taskd extension): a task's output live as
// Server-Sent Events, resumable with Last-Event-ID, ending with an `end` event that carries the
// outcome. Through a real listening server: app.inject() cannot read a response as it streams.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore } from '../support/harness.js';
import { createTask, eventually, runnableApp, taskRow, waitForTask } from '../runner/helpers.js';

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads a response body as SSE events, one at a time, as they arrive. */
class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';

  constructor(readonly response: Response) {
    this.reader = response.body!.getReader();
  }

  /** The next event (comments included), or null once the server has closed the stream. */
  async next(timeoutMs = 15_000): Promise<SseEvent | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return parseEvent(block);
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), Math.max(0, deadline - Date.now()));
      });
      try {
        const { done, value } = await Promise.race([this.reader.read(), timeout]);
        if (done) {
          assert.equal(this.buffer, '', 'the stream ends between events');
          return null;
        }
        this.buffer += this.decoder.decode(value, { stream: true });
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** Events up to and including the `end` event, skipping keep-alive comments. */
  async untilEnd(): Promise<SseEvent[]> {
    const events: SseEvent[] = [];
    for (;;) {
      const event = await this.next();
      if (!event) throw new Error(`stream closed without an end event after ${JSON.stringify(events)}`);
      if (event.comment !== undefined) continue;
      events.push(event);
      if (event.event === 'end') return events;
    }
  }

  /** The next line event, skipping keep-alive comments. */
  async nextLine(): Promise<SseEvent> {
    for (;;) {
      const event = await this.next();
      assert.ok(event, 'the stream is still open');
      if (event.comment === undefined) return event;
    }
  }
}

function parseEvent(block: string): SseEvent {
  const event: SseEvent = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) event.comment = line.slice(1).trim();
    else {
      const colon = line.indexOf(':');
      const field = line.slice(0, colon) as 'id' | 'event' | 'data';
      event[field] = line.slice(colon + 1).replace(/^ /, '');
    }
  }
  return event;
}

const texts = (events: SseEvent[]) => events.filter((e) => e.event === undefined).map((e) => JSON.parse(e.data!).text);
const endOf = (events: SseEvent[]) => JSON.parse(events[events.length - 1]!.data!);

describeEachStore(
  'GET /v3/tasks/:guid/log as an event stream',
  (h) => {
    let base = '';
    let appGuid = '';

    async function openStream(
      guid: string,
      options: { query?: string; lastEventId?: string; token?: string; signal?: AbortSignal } = {},
    ): Promise<SseReader> {
      const headers: Record<string, string> = { accept: 'text/event-stream', authorization: `bearer ${options.token ?? h.admin.token}` };
      if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
      const res = await fetch(`${base}/v3/tasks/${guid}/log${options.query ?? ''}`, { headers, signal: options.signal });
      assert.equal(res.status, 200, await (res.status === 200 ? Promise.resolve('') : res.text()));
      assert.match(String(res.headers.get('content-type')), /^text\/event-stream/);
      return new SseReader(res);
    }

    before(async () => {
      await h.taskd.app.listen({ port: 0, host: '127.0.0.1' });
      const address = h.taskd.app.server.address();
      assert.ok(address && typeof address === 'object');
      base = `http://127.0.0.1:${address.port}`;
      appGuid = (await runnableApp(h)).app.guid;
    });

    test('lines arrive while the task runs, one event each with its seq as id, then end with the outcome', async () => {
      const task = await createTask(h, appGuid, 'for i in 1 2 3 4 5; do echo line-$i; sleep 0.5; done');
      const stream = await openStream(task.guid);
      const first = await stream.nextLine();
      assert.equal((await taskRow(h, task.guid))?.state, 'RUNNING', 'the first line came before the task ended');
      assert.ok(first.data);
      const line = JSON.parse(first.data);
      assert.deepEqual(Object.keys(line), ['seq', 'time', 'stream', 'text']);
      assert.deepEqual({ seq: line.seq, stream: line.stream, text: line.text }, { seq: 1, stream: 'stdout', text: 'line-1' });
      assert.equal(first.id, '1');

      const rest = await stream.untilEnd();
      assert.deepEqual(texts([first, ...rest]), ['line-1', 'line-2', 'line-3', 'line-4', 'line-5']);
      assert.deepEqual(
        rest.slice(0, -1).map((e) => e.id),
        ['2', '3', '4', '5'],
      );
      assert.equal(rest[rest.length - 1]!.event, 'end');
      assert.deepEqual(endOf(rest), { state: 'SUCCEEDED', failure_reason: null });
      assert.equal(await stream.next(), null, 'the server closes the stream after end');
    });

    test('a client that disconnects and resumes with Last-Event-ID misses nothing and gets nothing twice', async () => {
      const task = await createTask(h, appGuid, 'for i in 1 2 3 4 5 6 7 8; do echo n-$i; sleep 0.3; done');
      const abort = new AbortController();
      const stream = await openStream(task.guid, { signal: abort.signal });
      const before: SseEvent[] = [];
      while (before.length < 2) before.push(await stream.nextLine());
      abort.abort();
      // The server lets go of the stream: its signal listeners are removed.
      const events = (h.taskd.ctx.signals as any).events;
      await eventually(
        'the stream stopped listening',
        () => events.listenerCount(`log-lines:${task.guid}`) === 0 && events.listenerCount(`ended:${task.guid}`) === 0,
      );

      // after_seq=0 would replay everything: Last-Event-ID wins.
      const resumed = await openStream(task.guid, { query: '?after_seq=0', lastEventId: before[before.length - 1]!.id! });
      const after = await resumed.untilEnd();
      assert.deepEqual(texts([...before, ...after]), ['n-1', 'n-2', 'n-3', 'n-4', 'n-5', 'n-6', 'n-7', 'n-8']);
      assert.deepEqual(endOf(after), { state: 'SUCCEEDED', failure_reason: null });
    });

    test('an ended task sends every line and the end at once, in batches; after_seq resumes it', async () => {
      const task = await createTask(h, appGuid, 'i=1; while [ $i -le 1200 ]; do echo $i; i=$((i+1)); done; exit 3');
      await waitForTask(h, task.guid);
      const all = await (await openStream(task.guid)).untilEnd();
      assert.equal(all.length, 1201);
      assert.deepEqual(
        texts(all),
        Array.from({ length: 1200 }, (_, i) => String(i + 1)),
      );
      assert.deepEqual(
        all.slice(0, -1).map((e) => Number(e.id)),
        Array.from({ length: 1200 }, (_, i) => i + 1),
      );
      assert.deepEqual(endOf(all), { state: 'FAILED', failure_reason: 'Exited with status 3' });

      const tail = await (await openStream(task.guid, { query: '?after_seq=1198' })).untilEnd();
      assert.deepEqual(texts(tail), ['1199', '1200']);
      const none = await (await openStream(task.guid, { lastEventId: '1200' })).untilEnd();
      assert.deepEqual(
        none.map((e) => e.event),
        ['end'],
      );
    });

    test('an idle stream gets keep-alive comments, and ends when the task is cancelled', async () => {
      const task = await createTask(h, appGuid, 'echo waiting; sleep 300');
      const stream = await openStream(task.guid);
      assert.equal(JSON.parse((await stream.nextLine()).data!).text, 'waiting');
      const heartbeat = await stream.next(5_000);
      assert.deepEqual(heartbeat, { comment: 'keep-alive' });
      assert.equal((await taskRow(h, task.guid))?.state, 'RUNNING');

      const res = await h.post(`/v3/tasks/${task.guid}/actions/cancel`, {});
      assert.equal(res.status, 202, res.text);
      const rest = await stream.untilEnd();
      assert.deepEqual(endOf(rest), { state: 'FAILED', failure_reason: 'task was cancelled' });
    });

    test('readers of the space may stream it; others get the CF errors before any stream', async () => {
      const { space, app } = await runnableApp(h);
      const task = await createTask(h, app.guid, 'echo visible');
      await waitForTask(h, task.guid);
      const auditor = await h.user();
      await h.role('space_auditor', auditor.guid, { space: space.guid });
      assert.deepEqual(texts(await (await openStream(task.guid, { token: auditor.token })).untilEnd()), ['visible']);

      const accept = { accept: 'text/event-stream' };
      const outsider = await h.user();
      cfError(
        await h.request('GET', `/v3/tasks/${task.guid}/log`, { token: outsider.token, headers: accept }),
        404,
        'CF-ResourceNotFound',
        10010,
        'Task not found',
      );
      cfError(
        await h.request('GET', '/v3/tasks/00000000-0000-4000-8000-000000000000/log', { token: h.admin.token, headers: accept }),
        404,
        'CF-ResourceNotFound',
        10010,
        'Task not found',
      );
      assert.equal((await h.request('GET', `/v3/tasks/${task.guid}/log`, { headers: accept })).status, 401);
      for (const bad of ['-1', 'abc', '1.5', '99999999999999999999']) {
        cfError(
          await h.request('GET', `/v3/tasks/${task.guid}/log`, { token: h.admin.token, headers: { ...accept, 'last-event-id': bad } }),
          400,
          'CF-BadQueryParameter',
          10005,
          'The query parameter is invalid: Last-Event-ID must be a non-negative integer',
        );
      }
      cfError(
        await h.request('GET', `/v3/tasks/${task.guid}/log?after_seq=x`, { token: h.admin.token, headers: accept }),
        400,
        'CF-BadQueryParameter',
        10005,
        'The query parameter is invalid: After seq must be a non-negative integer',
      );
    });

    test('without Accept: text/event-stream the answer is the NDJSON page, Last-Event-ID ignored', async () => {
      const task = await createTask(h, appGuid, 'echo one; echo two');
      await waitForTask(h, task.guid);
      const res = await fetch(`${base}/v3/tasks/${task.guid}/log`, {
        headers: { authorization: `bearer ${h.admin.token}`, 'last-event-id': '1' },
      });
      assert.equal(res.status, 200);
      assert.match(String(res.headers.get('content-type')), /^application\/x-ndjson/);
      const lines = (await res.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        lines.map((l) => l.text),
        ['one', 'two'],
      );
    });

    // Last: it shuts this taskd down (the harness's own close is then a no-op).
    test('shutting taskd down ends open streams, without an end event, rather than waiting for them', async () => {
      const task = await createTask(h, appGuid, 'echo up; sleep 300');
      const stream = await openStream(task.guid);
      assert.equal(JSON.parse((await stream.nextLine()).data!).text, 'up');
      await h.taskd.close();
      for (;;) {
        const event = await stream.next();
        if (event === null) break;
        assert.deepEqual(event, { comment: 'keep-alive' }, 'no end event: the client is to resume elsewhere');
      }
    });
  },
  { logStreamHeartbeatSeconds: 1 },
);
