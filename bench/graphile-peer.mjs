// The peer baseline: graphile-worker (a PostgreSQL job queue for Node) doing what a taskd task
// does in the throughput series — `concurrency` clients each adding jobs in a loop until `total`
// are added, a worker of the same concurrency whose handler spawns /bin/true and waits for its
// exit — timed from the first add until the last job succeeded. In a small process of its own,
// as the bare spawn loops are (fork costs grow with the parent's memory), on the database given.
// Usage: node bench/graphile-peer.mjs <postgres url> <total> <concurrency>  -> JSON { perSecond, seconds }
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Logger, makeWorkerUtils, run } from 'graphile-worker';

const [connectionString, totalText, concurrencyText] = process.argv.slice(2);
const total = Number(totalText);
const concurrency = Number(concurrencyText);

const spawnTrue = () =>
  new Promise((resolve, reject) => {
    const child = spawn('/bin/true', [], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`/bin/true exited ${code}`))));
  });

// Silent: its per-job log lines would cost it time the handler's spawn does not, and mix with the answer.
const logger = new Logger(() => () => {});
const utils = await makeWorkerUtils({ connectionString, logger });
await utils.migrate();
const runner = await run({
  connectionString,
  concurrency,
  noHandleSignals: true,
  // Jobs arrive by LISTEN/NOTIFY; the poll is only the fallback.
  pollInterval: 1000,
  logger,
  taskList: { spawn_true: spawnTrue },
});
let succeeded = 0;
let failed = 0;
const done = new Promise((resolve) => {
  const check = () => succeeded + failed >= total && resolve();
  runner.events.on('job:success', () => {
    succeeded++;
    check();
  });
  runner.events.on('job:failed', () => {
    failed++;
    check();
  });
});
const t0 = performance.now();
let added = 0;
const client = async () => {
  while (added < total) {
    added++;
    await utils.addJob('spawn_true', {}, { maxAttempts: 1 });
  }
};
await Promise.all(Array.from({ length: concurrency }, client));
await done;
const seconds = (performance.now() - t0) / 1000;
await runner.stop();
await utils.release();
process.stdout.write(JSON.stringify({ perSecond: succeeded / seconds, seconds, failed }));
