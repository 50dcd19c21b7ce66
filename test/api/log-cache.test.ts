// Log cache (api/logcache): GET /api/v1/info and GET /api/v1/read/:source_id, where a source is an
// app and its envelopes are its tasks' output lines, as the cf CLI reads them for `cf logs`.
// Tasks and lines are written straight into the store, with the times each test needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore, type Harness } from '../support/harness.js';
import { appInNewSpace, seedTask } from '../support/tasks.js';

const MS = 1_000_000n;
const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
/** A time's nanoseconds, as the envelopes and the query carry them. */
const ns = (ms: number, rank = 0) => (BigInt(ms) * MS + BigInt(rank)).toString();

interface Envelope {
  timestamp: string;
  source_id: string;
  instance_id: string;
  deprecated_tags: Record<string, unknown>;
  tags: Record<string, string>;
  log: { payload: string; type: string };
}

const textOf = (e: Envelope) => Buffer.from(e.log.payload, 'base64').toString('utf8');
const textsOf = (batch: Envelope[]) => batch.map(textOf);

async function read(h: Harness, appGuid: string, query = '', token = h.admin.token): Promise<Envelope[]> {
  const res = await h.request('GET', `/api/v1/read/${appGuid}${query}`, { token });
  assert.equal(res.status, 200, res.text);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.deepEqual(Object.keys(res.body), ['envelopes']);
  assert.deepEqual(Object.keys(res.body.envelopes), ['batch']);
  return res.body.envelopes.batch;
}

/** A finished task of the app that printed `lines` (text, ms offset from T0, stream) in order. */
async function taskWithLines(
  h: Harness,
  appGuid: string,
  name: string,
  lines: { text: string; at: number; stream?: string }[],
  running = false,
) {
  const first = Math.min(...lines.map((l) => l.at));
  const last = Math.max(...lines.map((l) => l.at));
  const task = await seedTask(h, appGuid, {
    name,
    state: running ? 'RUNNING' : 'SUCCEEDED',
    started_at: iso(T0 + first - 10),
    finished_at: running ? null : iso(T0 + last + 10),
  });
  if (lines.length)
    await h.db
      .insertInto('task_log_lines')
      .values(lines.map((l, i) => ({ task_id: task.id, seq: i + 1, time: iso(T0 + l.at), stream: l.stream ?? 'stdout', text: l.text })))
      .execute();
  return task;
}

describeEachStore(
  'log cache: GET /api/v1/info, GET /api/v1/read/:source_id',
  (h) => {
    let spaceGuid: string;
    let appGuid: string;

    test('GET / links log cache at taskd itself', async () => {
      const res = await h.request('GET', '/');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.links.log_cache, { href: 'https://api.example.org' });
    });

    test('GET /api/v1/info answers a log cache version that reads under /api/v1 (2.0.0 or later), without a token', async () => {
      const res = await h.request('GET', '/api/v1/info');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.body), ['version', 'vm_uptime']);
      const [major] = String(res.body.version).split('.').map(Number);
      assert.match(res.body.version, /^\d+\.\d+\.\d+$/);
      assert.ok(major! >= 2);
      assert.match(res.body.vm_uptime, /^\d+$/);
    });

    test("an app's task lines come as LOG envelopes, oldest first, each with its task as source type", async () => {
      const made = await appInNewSpace(h);
      spaceGuid = made.space.guid;
      appGuid = made.app.guid;
      await taskWithLines(h, appGuid, 'migrate', [
        { text: 'first line', at: 0 },
        { text: 'an error', at: 5, stream: 'stderr' },
        { text: 'ünïcode ✓', at: 20 },
      ]);
      await taskWithLines(h, appGuid, 'report', [
        { text: 'report 1', at: 10 },
        { text: 'report 2', at: 30 },
      ]);
      const batch = await read(h, appGuid);
      assert.deepEqual(batch[0], {
        timestamp: ns(T0),
        source_id: appGuid,
        instance_id: '0',
        deprecated_tags: {},
        tags: { source_type: 'APP/TASK/migrate' },
        log: { payload: Buffer.from('first line').toString('base64'), type: 'OUT' },
      });
      assert.deepEqual(textsOf(batch), ['first line', 'an error', 'report 1', 'ünïcode ✓', 'report 2']);
      assert.deepEqual(
        batch.map((e) => [e.tags.source_type, e.log.type, e.timestamp]),
        [
          ['APP/TASK/migrate', 'OUT', ns(T0)],
          ['APP/TASK/migrate', 'ERR', ns(T0 + 5)],
          ['APP/TASK/report', 'OUT', ns(T0 + 10)],
          ['APP/TASK/migrate', 'OUT', ns(T0 + 20)],
          ['APP/TASK/report', 'OUT', ns(T0 + 30)],
        ],
      );
    });

    test('descending=true gives the newest first; limit keeps the newest (descending) or oldest (ascending)', async () => {
      assert.deepEqual(textsOf(await read(h, appGuid, '?descending=true')), [
        'report 2',
        'ünïcode ✓',
        'report 1',
        'an error',
        'first line',
      ]);
      assert.deepEqual(textsOf(await read(h, appGuid, '?descending=true&limit=2')), ['report 2', 'ünïcode ✓']);
      assert.deepEqual(textsOf(await read(h, appGuid, '?limit=2')), ['first line', 'an error']);
      assert.deepEqual(textsOf(await read(h, appGuid, '?descending=1&limit=1')), ['report 2']);
    });

    test('the window is [start_time, end_time) in nanoseconds; a negative start (Go zero time, as the cf CLI sends) reads from the first line', async () => {
      assert.deepEqual(textsOf(await read(h, appGuid, `?start_time=${ns(T0 + 5)}&end_time=${ns(T0 + 20)}`)), ['an error', 'report 1']);
      assert.deepEqual(textsOf(await read(h, appGuid, `?start_time=${BigInt(ns(T0 + 5)) + 1n}&end_time=${BigInt(ns(T0 + 20)) + 1n}`)), [
        'report 1',
        'ünïcode ✓',
      ]);
      assert.deepEqual(textsOf(await read(h, appGuid, '?start_time=-6795364578871345152&descending=true&limit=1000')).length, 5);
      assert.deepEqual(textsOf(await read(h, appGuid, `?start_time=${ns(T0 + 31)}`)), []);
      // end_time 0 is "now", as it is absent.
      assert.equal((await read(h, appGuid, '?start_time=0&end_time=0')).length, 5);
    });

    test('lines of one millisecond get timestamps one nanosecond apart, so paging on the last timestamp + 1 loses none', async () => {
      const { app } = await appInNewSpace(h);
      // A burst: 7 lines of task a in one millisecond, 3 of task b in the same one, then 2 later.
      await taskWithLines(h, app.guid, 'a', [
        ...Array.from({ length: 7 }, (_, i) => ({ text: `a${i}`, at: 100 })),
        { text: 'a-late', at: 101 },
      ]);
      await taskWithLines(h, app.guid, 'b', [
        ...Array.from({ length: 3 }, (_, i) => ({ text: `b${i}`, at: 100 })),
        { text: 'b-late', at: 102 },
      ]);
      const all = await read(h, app.guid);
      const expected = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'b0', 'b1', 'b2', 'a-late', 'b-late'];
      assert.deepEqual(textsOf(all), expected);
      assert.deepEqual(
        all.map((e) => e.timestamp),
        [...Array.from({ length: 10 }, (_, i) => ns(T0 + 100, i)), ns(T0 + 101), ns(T0 + 102)],
      );
      // Ascending pages of 3, each from the last timestamp + 1 (log cache's Walk).
      const walked: Envelope[] = [];
      let start = 0n;
      for (let i = 0; i < 10; i++) {
        const page = await read(h, app.guid, `?start_time=${start}&limit=3`);
        if (!page.length) break;
        walked.push(...page);
        start = BigInt(page[page.length - 1]!.timestamp) + 1n;
      }
      assert.deepEqual(textsOf(walked), expected);
      assert.deepEqual(
        walked.map((e) => e.timestamp),
        all.map((e) => e.timestamp),
      );
      // Descending pages of 4, each ending (exclusively) at the oldest timestamp seen.
      const back: Envelope[] = [];
      let end = '';
      for (let i = 0; i < 10; i++) {
        const page = await read(h, app.guid, `?descending=true&limit=4${end}`);
        if (!page.length) break;
        back.push(...page);
        end = `&end_time=${page[page.length - 1]!.timestamp}`;
      }
      assert.deepEqual(
        back.map((e) => e.timestamp),
        all.map((e) => e.timestamp).reverse(),
      );
    });

    test("a running task's lines are read as they are stored", async () => {
      const { app } = await appInNewSpace(h);
      const task = await taskWithLines(h, app.guid, 'live', [{ text: 'started', at: 0 }], true);
      assert.deepEqual(textsOf(await read(h, app.guid)), ['started']);
      await h.db
        .insertInto('task_log_lines')
        .values({ task_id: task.id, seq: 2, time: iso(T0 + 1000), stream: 'stdout', text: 'then this' })
        .execute();
      assert.deepEqual(textsOf(await read(h, app.guid, `?descending=true&limit=1`)), ['then this']);
      assert.deepEqual(textsOf(await read(h, app.guid, `?start_time=${ns(T0 + 1)}`)), ['then this']);
    });

    test('the limit is 100 unless given, and at most 1000', async () => {
      const { app } = await appInNewSpace(h);
      await taskWithLines(
        h,
        app.guid,
        'chatty',
        Array.from({ length: 130 }, (_, i) => ({ text: `line ${i}`, at: i })),
      );
      const first = await read(h, app.guid);
      assert.equal(first.length, 100);
      assert.equal(textOf(first[99]!), 'line 99');
      assert.equal((await read(h, app.guid, '?limit=0')).length, 100);
      assert.equal((await read(h, app.guid, '?limit=1000')).length, 130);
      const newest = await read(h, app.guid, '?descending=true&limit=120');
      assert.equal(newest.length, 120);
      assert.equal(textOf(newest[119]!), 'line 10');
    });

    test('envelope_types: LOG and ANY read the lines, other types alone none; a name filter (for metrics) matches no log', async () => {
      assert.equal((await read(h, appGuid, '?envelope_types=LOG')).length, 5);
      assert.equal((await read(h, appGuid, '?envelope_types=ANY')).length, 5);
      assert.equal((await read(h, appGuid, '?envelope_types=GAUGE&envelope_types=LOG')).length, 5);
      assert.equal((await read(h, appGuid, '?envelope_types=1')).length, 5);
      assert.deepEqual(await read(h, appGuid, '?envelope_types=GAUGE'), []);
      assert.deepEqual(await read(h, appGuid, '?envelope_types=COUNTER&envelope_types=TIMER&envelope_types=EVENT'), []);
      assert.deepEqual(await read(h, appGuid, '?name_filter=cpu'), []);
      assert.equal((await read(h, appGuid, '?name_filter=')).length, 5);
    });

    test('parameters log cache cannot take are answered 400 with its status JSON', async () => {
      const cases: [string, string][] = [
        ['?start_time=abc', 'parsing field "start_time": strconv.ParseInt: parsing "abc": invalid syntax'],
        ['?end_time=1.5', 'parsing field "end_time": strconv.ParseInt: parsing "1.5": invalid syntax'],
        [
          '?start_time=9223372036854775808',
          'parsing field "start_time": strconv.ParseInt: parsing "9223372036854775808": value out of range',
        ],
        ['?limit=ten', 'parsing field "limit": strconv.ParseInt: parsing "ten": invalid syntax'],
        ['?limit=1001', 'limit (1001) must be 1000 or less'],
        ['?limit=-1', 'limit (-1) must be greater than zero'],
        ['?limit=1&limit=2', 'too many values for field "limit": 1, 2'],
        ['?descending=yes', 'parsing field "descending": strconv.ParseBool: parsing "yes": invalid syntax'],
        ['?envelope_types=LOGS', 'parsing list "envelope_types": "LOGS" is not a valid value'],
        ['?start_time=20&end_time=10', 'StartTime (20) must be before EndTime (10)'],
      ];
      for (const [query, message] of cases) {
        const res = await h.request('GET', `/api/v1/read/${appGuid}${query}`, { token: h.admin.token });
        assert.equal(res.status, 400, `${query}: ${res.text}`);
        assert.deepEqual(res.body, { code: 3, message, details: [] }, query);
      }
      const res = await h.request('GET', `/api/v1/read/${appGuid}?name_filter=(`, { token: h.admin.token });
      assert.equal(res.status, 400);
      assert.match(res.body.message, /^name filter must be a valid regular expression/);
    });

    test('readers of the space read its apps; others, and unknown sources, get the bare 404 log cache answers', async () => {
      const auditor = await h.user();
      await h.role('space_auditor', auditor.guid, { space: spaceGuid });
      assert.equal((await read(h, appGuid, '', auditor.token)).length, 5);
      const globalAuditor = await h.user(['cloud_controller.global_auditor']);
      assert.equal((await read(h, appGuid, '', globalAuditor.token)).length, 5);

      const stranger = await h.user();
      for (const [who, source] of [
        [stranger.token, appGuid],
        [h.admin.token, 'no-such-app'],
        [h.admin.token, '00000000-0000-4000-8000-000000000000'],
      ] as const) {
        const res = await h.request('GET', `/api/v1/read/${source}`, { token: who });
        assert.equal(res.status, 404, res.text);
        assert.equal(res.text, '');
      }
      const orgUser = await h.user();
      const space = await h.get(`/v3/spaces/${spaceGuid}`);
      await h.role('organization_user', orgUser.guid, { org: space.body.relationships.organization.data.guid });
      assert.equal((await h.request('GET', `/api/v1/read/${appGuid}`, { token: orgUser.token })).status, 404);
    });

    test('no token, or a bad one, is 401', async () => {
      const tries: Record<string, string>[] = [{}, { authorization: 'bearer not-a-token' }, { authorization: 'Basic YWRtaW46eA==' }];
      for (const headers of tries) {
        const res = await h.request('GET', `/api/v1/read/${appGuid}`, { headers });
        assert.equal(res.status, 401, res.text);
        assert.equal(res.body.code, 16);
        assert.deepEqual(Object.keys(res.body), ['code', 'message', 'details']);
      }
    });

    test('unknown paths under /api/v1 are log cache 404s; /api itself stays vSphere', async () => {
      const res = await h.request('GET', '/api/v1/meta', { token: h.admin.token });
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, { code: 5, message: 'Not Found', details: [] });
      const vsphere = await h.request('GET', '/api/cis/nothing');
      assert.equal(vsphere.status, 404);
      assert.equal(vsphere.body.error_type, 'NOT_FOUND');
    });
  },
  { runnerSlots: 0 },
);
