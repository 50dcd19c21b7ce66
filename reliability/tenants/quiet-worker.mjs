// The quiet tenant and the prober, in a thread of their own (plain JavaScript, so it loads without
// tsx): the check's main thread is busy with the noisy tenant's thousands of sockets, and timing
// the quiet tenant there would time that thread's lag, not taskd's. Every request opens its own
// connection from the quiet tenant's address, as a CLI command or a load balancer's probe does.
//
// Measured, precisely:
// - create→running: from sending POST /v3/apps/:guid/tasks to the moment the task's process runs,
//   by its own clock: the task is `date +%s%N`, whose one line is the instant it ran (the same
//   host clock as the check's). Read from the task's log once GET /v3/tasks/:guid (every pollMs)
//   says it ended; one task at a time, the next created once the last has ended. Its own clock
//   rather than the first GET that says RUNNING: that figure is only as precise as the polling,
//   and a quiet tenant polling fast enough to make it precise (50 times a second) was itself one
//   of the busiest clients of the node. A task not ended within waitRunningMs counts as never
//   (Infinity), is cancelled, and is a failure.
// - API latency: GET /v3/tasks?per_page=10 and GET /v3/tasks/:guid (its latest task) in turn,
//   one every apiEveryMs, each from sending to the last byte of its answer.
// - probes: GET /healthz and GET /readyz, both every probeEveryMs, unauthenticated.
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { port, localAddress, token, appGuid, username, password, pollMs, apiEveryMs, probeEveryMs, timeoutMs } = workerData;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The quiet task: prints the instant its process runs, in nanoseconds since the epoch. */
const RAN_AT = 'date +%s%N';

/** One request on its own connection; never throws: { status (0: no answer), body, text, error, ms }. */
function send(method, path, { json, raw, headers = {}, auth = true } = {}) {
  const started = performance.now();
  const body = json === undefined ? raw : JSON.stringify(json);
  const all = {
    ...(auth ? { authorization: `bearer ${token}` } : {}),
    ...(json === undefined ? {} : { 'content-type': 'application/json' }),
    ...headers,
  };
  if (body !== undefined) all['content-length'] = Buffer.byteLength(body);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (reply) => {
      if (settled) return;
      settled = true;
      resolve({ ...reply, ms: performance.now() - started });
    };
    const req = http.request(
      { host: '127.0.0.1', port, localAddress, method, path, headers: all, agent: false, timeout: timeoutMs },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          settle({ status: res.statusCode ?? 0, body: parsed, text });
        });
        res.on('error', (err) => settle({ status: 0, text: '', error: err.code ?? err.message }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'timeout' })));
    req.on('error', (err) => settle({ status: 0, text: '', error: err.code ?? err.message }));
    req.end(body);
  });
}

const described = (method, path, res) =>
  `${method} ${path.split('?')[0]} → ${res.status ? `${res.status} ${res.text.slice(0, 200)}` : `no answer (${res.error})`}`;

/** The quiet tenant's measurements for `ms` (see the top). */
async function measure(ms, waitRunningMs, gapMs) {
  const out = { createToRunningMs: [], apiMs: [], createMs: [], failures: [], requests: 0, neverRan: 0 };
  const end = performance.now() + ms;
  let latestTask;
  const call = async (method, path, options) => {
    out.requests++;
    const res = await send(method, path, options);
    // Every answer the quiet tenant gets is a success: it asks for nothing it may not have.
    if (res.status < 200 || res.status > 299) out.failures.push(described(method, path, res));
    return res;
  };

  const creates = (async () => {
    while (performance.now() < end) {
      const started = performance.now();
      const sentAt = performance.timeOrigin + started;
      const created = await call('POST', `/v3/apps/${appGuid}/tasks`, { json: { command: RAN_AT } });
      out.createMs.push(created.ms);
      if (created.status !== 202) {
        await sleep(gapMs);
        continue;
      }
      const guid = created.body.guid;
      latestTask = guid;
      let state;
      while (performance.now() - started < waitRunningMs) {
        const res = await call('GET', `/v3/tasks/${guid}`);
        state = res.body?.state;
        if (state === 'SUCCEEDED' || state === 'FAILED') break;
        await sleep(pollMs);
      }
      if (state === 'SUCCEEDED') {
        const log = await call('GET', `/v3/tasks/${guid}/log`);
        const ranAtNs = log.status === 200 ? Number(JSON.parse(log.text.split('\n')[0] || '{}').text) : NaN;
        if (Number.isFinite(ranAtNs)) out.createToRunningMs.push(ranAtNs / 1e6 - sentAt);
        else out.failures.push(`quiet task ${guid} printed no start time: ${log.text.slice(0, 200)}`);
      } else if (state === 'FAILED') {
        const res = await send('GET', `/v3/tasks/${guid}`);
        out.failures.push(`quiet task ${guid} (${RAN_AT}) FAILED: ${res.body?.result?.failure_reason}`);
      } else {
        out.neverRan++;
        out.createToRunningMs.push(Infinity);
        out.failures.push(`quiet task ${guid} not ended ${(waitRunningMs / 1000).toFixed(0)} s after its create: ${state ?? 'unknown'}`);
        await send('POST', `/v3/tasks/${guid}/actions/cancel`);
      }
      await sleep(gapMs);
    }
  })();

  const api = (async () => {
    let turn = 0;
    while (performance.now() < end) {
      const path = turn++ % 2 === 0 || !latestTask ? '/v3/tasks?per_page=10' : `/v3/tasks/${latestTask}`;
      const res = await call('GET', path);
      if (res.status === 200) out.apiMs.push(res.ms);
      await sleep(apiEveryMs);
    }
  })();

  await Promise.all([creates, api]);
  return out;
}

/** /healthz and /readyz every probeEveryMs until stopped. */
function startProbes() {
  const result = { requests: 0, ms: [], failures: [] };
  const inFlight = new Set();
  const once = async (path) => {
    result.requests++;
    const res = await send('GET', path, { auth: false });
    if (res.status === 200) result.ms.push(res.ms);
    else result.failures.push(described('GET', path, res));
  };
  const timer = setInterval(() => {
    for (const path of ['/healthz', '/readyz']) {
      const one = once(path).finally(() => inFlight.delete(one));
      inFlight.add(one);
    }
  }, probeEveryMs);
  return async () => {
    clearInterval(timer);
    await Promise.all(inFlight);
    return result;
  };
}

/** CF's password grant as the quiet user, from its own address: { status, text }. */
async function login() {
  const res = await send('POST', '/oauth/token', {
    auth: false,
    headers: {
      authorization: `Basic ${Buffer.from('cf:').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    raw: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
  });
  return { status: res.status, text: res.status ? res.text.slice(0, 300) : `no answer (${res.error})` };
}

let stopProbes;
parentPort.on('message', (message) => {
  void (async () => {
    switch (message.type) {
      case 'measure':
        parentPort.postMessage({ type: 'measured', result: await measure(message.ms, message.waitRunningMs, message.gapMs) });
        break;
      case 'probe-start':
        stopProbes = startProbes();
        parentPort.postMessage({ type: 'probing' });
        break;
      case 'probe-stop':
        parentPort.postMessage({ type: 'probed', result: await stopProbes() });
        break;
      case 'login':
        parentPort.postMessage({ type: 'login', result: await login() });
        break;
    }
  })();
});
parentPort.postMessage({ type: 'ready' });
