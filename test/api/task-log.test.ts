// GET /v3/tasks/:guid/log (taskd extension): a task's output as NDJSON, pageable with after_seq,
// readable while the task runs and after it ended, by whoever may read the task.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { createTask, eventually, runnableApp, waitForTask } from '../runner/helpers.js';

interface LogLine {
  seq: number;
  time: string;
  stream: string;
  text: string;
}

function parseNdjson(text: string): LogLine[] {
  if (text === '') return [];
  assert.ok(text.endsWith('\n'), 'every NDJSON line ends with a newline');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line));
}

async function readLog(h: Harness, guid: string, query = '', token = h.admin.token): Promise<LogLine[]> {
  const res = await h.request('GET', `/v3/tasks/${guid}/log${query}`, { token });
  assert.equal(res.status, 200, res.text);
  assert.match(String(res.headers['content-type']), /^application\/x-ndjson/);
  return parseNdjson(res.text);
}

describeEachStore('GET /v3/tasks/:guid/log', (h) => {
  let space: any;
  let finished: any;

  test('returns the output of an ended task as NDJSON lines in order, stdout and stderr apart', async () => {
    const made = await runnableApp(h);
    space = made.space;
    finished = await createTask(h, made.app.guid, 'echo out-1; echo err-1 >&2; sleep 0.1; echo out-2; printf "no newline"');
    await waitForTask(h, finished.guid);
    const lines = await readLog(h, finished.guid);
    assert.deepEqual(
      lines.map(({ seq, stream, text }) => ({ seq, stream, text })),
      [
        { seq: 1, stream: 'stdout', text: 'out-1' },
        { seq: 2, stream: 'stderr', text: 'err-1' },
        { seq: 3, stream: 'stdout', text: 'out-2' },
        { seq: 4, stream: 'stdout', text: 'no newline' },
      ],
    );
    for (const line of lines) {
      assert.deepEqual(Object.keys(line), ['seq', 'time', 'stream', 'text']);
      assert.match(line.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }
    assert.ok(lines.every((l, i) => i === 0 || lines[i - 1].time <= l.time));
  });

  test('after_seq returns only the lines after it', async () => {
    assert.deepEqual(
      (await readLog(h, finished.guid, '?after_seq=2')).map((l) => l.seq),
      [3, 4],
    );
    assert.deepEqual(await readLog(h, finished.guid, '?after_seq=4'), []);
    assert.deepEqual(await readLog(h, finished.guid, '?after_seq=1000'), []);
    assert.deepEqual(
      (await readLog(h, finished.guid, '?after_seq=0')).map((l) => l.seq),
      [1, 2, 3, 4],
    );
  });

  test('a task without output answers 200 with an empty body', async () => {
    const { app } = await runnableApp(h);
    const quiet = await createTask(h, app.guid, 'true');
    await waitForTask(h, quiet.guid);
    assert.deepEqual(await readLog(h, quiet.guid), []);
  });

  test('lines can be read while the task still runs, and paged on from the last seq', async () => {
    const { app } = await runnableApp(h);
    const running = await createTask(h, app.guid, 'echo started; sleep 300');
    let first: LogLine[] = [];
    await eventually('the first line is readable', async () => (first = await readLog(h, running.guid)).length > 0);
    assert.deepEqual(
      first.map((l) => l.text),
      ['started'],
    );
    const task = await h.db.selectFrom('tasks').select('state').where('guid', '=', running.guid).executeTakeFirstOrThrow();
    assert.equal(task.state, 'RUNNING');
    assert.deepEqual(await readLog(h, running.guid, `?after_seq=${first[0].seq}`), []);
    const res = await h.post(`/v3/tasks/${running.guid}/actions/cancel`, {});
    assert.equal(res.status, 202, res.text);
    await waitForTask(h, running.guid);
  });

  test('an answer holds at most 10,000 lines; the rest come with after_seq', async () => {
    const { app } = await runnableApp(h);
    const chatty = await createTask(h, app.guid, 'i=1; while [ $i -le 10005 ]; do echo $i; i=$((i+1)); done');
    await waitForTask(h, chatty.guid);
    const page1 = await readLog(h, chatty.guid);
    assert.equal(page1.length, 10_000);
    assert.equal(page1[9999].text, '10000');
    const page2 = await readLog(h, chatty.guid, `?after_seq=${page1[9999].seq}`);
    assert.deepEqual(
      page2.map((l) => l.text),
      ['10001', '10002', '10003', '10004', '10005'],
    );
  });

  test('readers of the space may read it; others get 404 Task not found', async () => {
    const auditor = await h.user();
    await h.role('space_auditor', auditor.guid, { space: space.guid });
    assert.equal((await readLog(h, finished.guid, '', auditor.token)).length, 4);

    const outsider = await h.user();
    cfError(
      await h.request('GET', `/v3/tasks/${finished.guid}/log`, { token: outsider.token }),
      404,
      'CF-ResourceNotFound',
      10010,
      'Task not found',
    );
    cfError(await h.get('/v3/tasks/00000000-0000-4000-8000-000000000000/log'), 404, 'CF-ResourceNotFound', 10010, 'Task not found');
    const anonymous = await h.request('GET', `/v3/tasks/${finished.guid}/log`);
    assert.equal(anonymous.status, 401);
  });

  test('a bad after_seq or an unknown parameter is 400 CF-BadQueryParameter', async () => {
    for (const bad of ['-1', 'abc', '1.5', '', '1e3', '99999999999999999999']) {
      cfError(
        await h.get(`/v3/tasks/${finished.guid}/log?after_seq=${encodeURIComponent(bad)}`),
        400,
        'CF-BadQueryParameter',
        10005,
        'The query parameter is invalid: After seq must be a non-negative integer',
      );
    }
    cfError(
      await h.get(`/v3/tasks/${finished.guid}/log?page=2`),
      400,
      'CF-BadQueryParameter',
      10005,
      "The query parameter is invalid: Unknown query parameter(s): 'page'. Valid parameters are: 'after_seq'",
    );
  });
});
