// The bare baselines for running a command, in a small process of their own: plain JavaScript,
// no loaders, nothing loaded but Node. fork() costs grow with the parent's memory, and taskd
// spawns its tasks from a small process (src/runner/supervisor/supervisor.mjs) for that reason, so
// the bench's own process — holding tsx, autocannon and a SQLite connection — would understate what a
// bare spawn costs. Each spawn is awaited to exit before the next in the latency series.
// Usage: node bench/bare-spawn.mjs latency <count>           -> JSON { toSpawn, toExit, selfReport }
//        node bench/bare-spawn.mjs throughput <total> <conc>  -> JSON { perSecond, rssMb }
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

function spawnOne(file, args) {
  const t0 = performance.now();
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  child.stdout.on('data', (chunk) => void (stdout += chunk.toString()));
  const spawned = new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(performance.now() - t0));
    child.once('error', reject);
  });
  const exited = new Promise((resolve, reject) => {
    child.once('close', (code) =>
      code === 0 ? resolve({ ms: performance.now() - t0, stdout }) : reject(new Error(`${file} exited ${code}`)),
    );
    child.once('error', reject);
  });
  return { spawned, exited };
}

/** Wall-clock ms with sub-ms precision: the monotonic clock anchored where Date.now() ticks. */
function wallClock() {
  const first = Date.now();
  let now = Date.now();
  while (now === first) now = Date.now();
  const offset = now - performance.now();
  return () => offset + performance.now();
}

async function latency(count) {
  const out = { toSpawn: [], toExit: [], selfReport: [] };
  for (let i = 0; i < count; i++) {
    const { spawned, exited } = spawnOne('true', []);
    out.toSpawn.push(await spawned);
    out.toExit.push((await exited).ms);
  }
  const wall = wallClock();
  for (let i = 0; i < count; i++) {
    const sent = wall();
    const { stdout } = await spawnOne('/bin/sh', ['-c', 'date +%s%N']).exited;
    out.selfReport.push(Number(BigInt(stdout.trim()) / 1000n) / 1000 - sent);
  }
  return out;
}

async function throughput(total, concurrency) {
  let started = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (started < total) {
      started++;
      await spawnOne('true', []).exited;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { perSecond: total / ((performance.now() - t0) / 1000), rssMb: process.memoryUsage().rss / 2 ** 20 };
}

const [mode, a, b] = process.argv.slice(2);
const result = mode === 'latency' ? await latency(Number(a)) : await throughput(Number(a), Number(b));
process.stdout.write(JSON.stringify(result));
