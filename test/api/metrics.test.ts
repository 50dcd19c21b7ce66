// GET /metrics: Prometheus text read by a small parser here, so the assertions are about metric
// families, labels and values rather than whole strings.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describeEachStore, type Harness } from '../support/harness.js';
import { createTask, eventually, insertTask, runnableApp, waitForTask } from '../runner/helpers.js';
import { TASK_STATES } from '../../src/core/task-states.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
}

function parseExposition(text: string): Exposition {
  const parsed: Exposition = { help: new Map(), type: new Map(), samples: [] };
  for (const line of text.split('\n')) {
    if (!line) continue;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      parsed[comment[1] === 'HELP' ? 'help' : 'type'].set(comment[2]!, comment[3]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(sample, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const m of (sample[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g))
      labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    const value = sample[3] === '+Inf' ? Infinity : Number(sample[3]);
    assert.ok(!Number.isNaN(value), `not a value: ${line}`);
    parsed.samples.push({ name: sample[1]!, labels, value });
  }
  return parsed;
}

/** The samples of one name whose labels include `labels`. */
function find(exp: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return exp.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function value(exp: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = find(exp, name, labels);
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} names ${found.length} series`);
  return found[0]?.value;
}

/** A full garbage collection now, in a test process not started with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function scrape(h: Harness): Promise<Exposition> {
  // As an admin (who reads globally); who else may scrape is metrics-access.test.ts's subject.
  const res = await h.get('/metrics');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(res.text);
}

const SCRAPE_TOKEN = 'scrape-token-of-this-test-0123456789';

async function storedCounts(h: Harness): Promise<Map<string, number>> {
  const rows = await h.db
    .selectFrom('tasks')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
  return new Map(rows.map((r) => [r.state, Number(r.n)]));
}

describeEachStore(
  'metrics',
  (h) => {
    let app: any;
    let succeeded: any;
    let failed: any;

    before(async () => {
      ({ app } = await runnableApp(h));
      succeeded = await waitForTask(h, (await createTask(h, app.guid, 'sleep 0.2')).guid);
      failed = await waitForTask(h, (await createTask(h, app.guid, 'exit 3')).guid);
      assert.equal(succeeded.state, 'SUCCEEDED');
      assert.equal(failed.state, 'FAILED');
    });

    test('every family is taskd_-prefixed with HELP and TYPE', async () => {
      const exp = await scrape(h);
      const families = [
        'taskd_tasks',
        'taskd_task_queue_depth',
        'taskd_runner_slots_free',
        'taskd_task_duration_seconds',
        'taskd_task_log_bytes_dropped_total',
        'taskd_http_request_duration_seconds',
      ];
      for (const family of families) {
        assert.ok(exp.help.get(family), `${family} has HELP`);
        assert.ok(exp.type.get(family), `${family} has TYPE`);
      }
      assert.equal(exp.type.get('taskd_tasks'), 'gauge');
      assert.equal(exp.type.get('taskd_task_duration_seconds'), 'histogram');
      assert.equal(exp.type.get('taskd_task_log_bytes_dropped_total'), 'counter');
      for (const sample of exp.samples) {
        assert.match(sample.name, /^taskd_/);
        const family = sample.name.replace(/_(bucket|sum|count)$/, '');
        assert.ok(exp.type.has(sample.name) || exp.type.get(family) === 'histogram', `${sample.name} belongs to a declared family`);
      }
    });

    test('the event loop delay is a histogram that keeps sampling while taskd runs', async () => {
      const count = (exp: Exposition) => value(exp, 'taskd_event_loop_delay_seconds_count') ?? 0;
      const first = await scrape(h);
      assert.equal(first.type.get('taskd_event_loop_delay_seconds'), 'histogram');
      assert.equal(value(first, 'taskd_event_loop_delay_seconds_bucket', { le: '+Inf' }), count(first));
      await eventually('the event loop delay gains samples', async () => count(await scrape(h)) > count(first));
    });

    test('task gauges match the stored tasks, every state present', async () => {
      const exp = await scrape(h);
      const stored = await storedCounts(h);
      for (const state of TASK_STATES) assert.equal(value(exp, 'taskd_tasks', { state }), stored.get(state) ?? 0, state);
      assert.ok((value(exp, 'taskd_tasks', { state: 'SUCCEEDED' }) ?? 0) >= 1);
      assert.ok((value(exp, 'taskd_tasks', { state: 'FAILED' }) ?? 0) >= 1);
      assert.equal(value(exp, 'taskd_task_queue_depth'), stored.get('PENDING') ?? 0);
    });

    test('the duration histogram counts each task by its final state, in cumulative buckets', async () => {
      // The runner counts a task just after it stores the end that waitForTask saw.
      let exp = await scrape(h);
      await eventually('both task ends are counted', async () => {
        exp = await scrape(h);
        return (
          value(exp, 'taskd_task_duration_seconds_count', { state: 'FAILED' }) === 1 &&
          value(exp, 'taskd_task_duration_seconds_count', { state: 'SUCCEEDED' }) === 1
        );
      });
      for (const state of ['SUCCEEDED', 'FAILED']) {
        const buckets = find(exp, 'taskd_task_duration_seconds_bucket', { state });
        const counts = buckets.map((b) => b.value);
        assert.deepEqual(
          counts,
          [...counts].sort((a, b) => a - b),
          `${state} buckets are cumulative`,
        );
        assert.equal(Number(buckets[0]!.labels.le), 0.1);
        assert.equal(buckets.at(-2)!.labels.le, '3600');
        assert.equal(buckets.at(-1)!.labels.le, '+Inf');
        assert.equal(buckets.at(-1)!.value, 1);
      }
      // The succeeding task slept 0.2 s: recorded at least that long, in the bucket up to 0.25 s or later.
      const row = succeeded;
      const seconds = (Date.parse(row.finished_at) - Date.parse(row.started_at)) / 1000;
      assert.equal(value(exp, 'taskd_task_duration_seconds_sum', { state: 'SUCCEEDED' }), seconds);
      assert.ok(seconds >= 0.2, `${seconds} s`);
      assert.equal(value(exp, 'taskd_task_duration_seconds_bucket', { state: 'SUCCEEDED', le: '0.1' }), 0);
    });

    test('HTTP durations carry the route pattern, never a raw id', async () => {
      assert.equal((await h.get(`/v3/tasks/${succeeded.guid}`)).status, 200);
      assert.equal((await h.request('GET', `/v3/tasks/${failed.guid}`)).status, 401);
      assert.equal((await h.request('GET', `/no/such/place/${failed.guid}`)).status, 404);
      const exp = await scrape(h);
      const http = 'taskd_http_request_duration_seconds_count';
      assert.ok((value(exp, http, { method: 'GET', route: '/v3/tasks/:guid', status: '200' }) ?? 0) >= 1);
      assert.ok((value(exp, http, { method: 'GET', route: '/v3/tasks/:guid', status: '401' }) ?? 0) >= 1);
      assert.ok((value(exp, http, { method: 'POST', route: '/v3/apps/:guid/tasks', status: '202' }) ?? 0) >= 2);
      assert.ok((value(exp, http, { method: 'GET', route: 'unmatched', status: '404' }) ?? 0) >= 1);
      const routes = new Set(find(exp, http).map((s) => s.labels.route));
      assert.ok(
        [...routes].every((r) => r === 'unmatched' || r!.startsWith('/')),
        [...routes].join(' '),
      );
      const guids = [app.guid, succeeded.guid, failed.guid];
      for (const s of exp.samples)
        for (const v of Object.values(s.labels)) for (const guid of guids) assert.ok(!v.includes(guid), `${s.name} has a raw id in ${v}`);
    });

    test('free slots fall while tasks run; the queue holds what waits for a slot', async () => {
      // The suite's runner has one slot.
      assert.equal(value(await scrape(h), 'taskd_runner_slots_free'), 1);
      const running = await createTask(h, app.guid, 'sleep 60');
      await waitForTask(h, running.guid, (t) => t.state === 'RUNNING');
      const waiting = await createTask(h, app.guid, 'sleep 60');
      try {
        const exp = await scrape(h);
        assert.equal(value(exp, 'taskd_runner_slots_free'), 0);
        assert.equal(value(exp, 'taskd_task_queue_depth'), 1);
        assert.equal(value(exp, 'taskd_tasks', { state: 'PENDING' }), 1);
        assert.equal(value(exp, 'taskd_tasks', { state: 'RUNNING' }), 1);
      } finally {
        for (const task of [waiting, running]) assert.equal((await h.post(`/v3/tasks/${task.guid}/actions/cancel`, {})).status, 202);
      }
      await waitForTask(h, running.guid);
      await eventually('the slot is free again', async () => value(await scrape(h), 'taskd_runner_slots_free') === 1);
      assert.equal(value(await scrape(h), 'taskd_task_queue_depth'), 0);
    });

    test('memory gauges report the serving process: its resident set, the heap in use and live after a full collection, within the heap reserved', async () => {
      collectGarbage();
      // Garbage collections are reported to observers a moment later.
      await eventually('the live heap is reported', async () => value(await scrape(h), 'taskd_process_heap_live_bytes') !== undefined);
      const exp = await scrape(h);
      for (const family of [
        'taskd_process_resident_memory_bytes',
        'taskd_process_heap_used_bytes',
        'taskd_process_heap_live_bytes',
        'taskd_process_heap_total_bytes',
        'taskd_process_external_memory_bytes',
      ]) {
        assert.equal(exp.type.get(family), 'gauge', `${family} is a gauge`);
        assert.ok(value(exp, family)! > 0, `${family} is positive`);
      }
      assert.ok(value(exp, 'taskd_process_heap_used_bytes')! <= value(exp, 'taskd_process_heap_total_bytes')!);
      assert.ok(value(exp, 'taskd_process_heap_live_bytes')! <= value(exp, 'taskd_process_heap_total_bytes')!);
      // The harness serves from this very process: the scrape saw about what this process holds now.
      const rss = process.memoryUsage.rss();
      assert.ok(
        Math.abs(value(exp, 'taskd_process_resident_memory_bytes')! - rss) < rss / 2,
        `${value(exp, 'taskd_process_resident_memory_bytes')} against ${rss}`,
      );
    });

    test('bytes dropped over a log rate limit are counted as the task ends', async () => {
      const before = value(await scrape(h), 'taskd_task_log_bytes_dropped_total');
      const created = await createTask(h, app.guid, "head -c 200000 /dev/zero | tr '\\0' x | fold -w 99", {
        log_rate_limit_in_bytes_per_second: 1024,
      });
      const done = await waitForTask(h, created.guid);
      assert.ok(Number(done.log_bytes_dropped) > 0, 'the task lost output');
      await eventually(
        'the drop is counted',
        async () => value(await scrape(h), 'taskd_task_log_bytes_dropped_total') === before! + Number(done.log_bytes_dropped),
      );
    });
  },
  { runnerSlots: 1, cancelGraceSeconds: 1 },
);

describeEachStore(
  'metrics of a node that runs no runner',
  (h) => {
    test('free slots are 0 and queued tasks are counted', async () => {
      const { app } = await runnableApp(h);
      for (let i = 0; i < 2; i++) await insertTask(h, app.guid, { state: 'PENDING' });
      const exp = await scrape(h);
      assert.equal(value(exp, 'taskd_runner_slots_free'), 0);
      assert.equal(value(exp, 'taskd_task_queue_depth'), 2);
      assert.equal(value(exp, 'taskd_tasks', { state: 'PENDING' }), 2);
      assert.equal(value(exp, 'taskd_task_log_bytes_dropped_total'), 0);
      assert.deepEqual(find(exp, 'taskd_task_duration_seconds_count'), []);
    });

    test('with the store closed the scrape fails 503 rather than reporting half the figures', async () => {
      await h.taskd.ctx.store.close();
      // The scrape token is checked without the store (a user's token needs its roles from it).
      const res = await h.request('GET', '/metrics', { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } });
      assert.equal(res.status, 503);
      assert.doesNotMatch(res.text, /taskd_/);
    });
  },
  { runnerSlots: 0, metricsToken: SCRAPE_TOKEN },
);
