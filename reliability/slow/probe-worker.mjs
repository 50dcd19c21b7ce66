// The probe's own thread (plain JavaScript, so it loads without tsx): the check's main thread is
// busy with thousands of slow sockets, and timing the probe there would time that thread's lag,
// not taskd's. Sends an authenticated GET every `everyMs` and posts each outcome back.
import { parentPort, workerData } from 'node:worker_threads';

const { url, token, everyMs } = workerData;
let stopped = false;
const inFlight = new Set();

async function once() {
  const started = performance.now();
  try {
    const res = await fetch(url, { headers: { authorization: `bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    const body = await res.text();
    if (res.status !== 200) parentPort.postMessage({ failure: `probe answered ${res.status}: ${body.slice(0, 200)}` });
    else parentPort.postMessage({ ms: performance.now() - started });
  } catch (err) {
    parentPort.postMessage({ failure: `probe failed after ${Math.round(performance.now() - started)} ms: ${err.message}` });
  }
}

// One request first, not counted: this thread's first fetch sets up its HTTP client and connection.
await fetch(url, { headers: { authorization: `bearer ${token}` } })
  .then((res) => res.text())
  .catch(() => {});
parentPort.postMessage({ ready: true });

const timer = setInterval(() => {
  if (stopped) return;
  const one = once().finally(() => inFlight.delete(one));
  inFlight.add(one);
}, everyMs);

parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  stopped = true;
  clearInterval(timer);
  void Promise.all(inFlight).then(() => parentPort.postMessage({ done: true }));
});
