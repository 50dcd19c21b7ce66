// The bare baselines for running a command, in a small process of their own: plain JavaScript,
// no loaders, nothing loaded but Node. fork() costs grow with the parent's memory, and taskd
// spawns its tasks from a small process (src/runner/supervisor/supervisor.mjs) for that reason, so
// the bench's own process — holding tsx, autocannon and a SQLite connection — would understate what a
// bare spawn costs. Each spawn is awaited to exit before the next in the latency series.
//
// The sandboxed baselines run the sandbox itself and nothing of taskd: bwrap with the options
// taskd gives a task (src/runner/sandbox/bwrap-args.mjs: the same namespaces, mounts, tmpfs,
// seccomp filter; as an unprivileged user where this runs as root, as taskd's tasks run), its
// arguments on a pipe, in a scratch directory standing for the task's app directory. That is the
// floor a sandboxed task's start cannot go below.
//
// The peer: graphile-worker (a PostgreSQL job queue for Node) doing what a taskd task does in the
// throughput series — `concurrency` clients each adding jobs in a loop until `total` are added, a
// worker of the same concurrency whose handler spawns /bin/true and waits for its exit — timed
// from the first add until the last job succeeded, on the database given.
// Usage: node bench/bare-spawn.mjs latency <count> [sandbox]           -> JSON { toSpawn, toExit, selfReport }
//        node bench/bare-spawn.mjs throughput <total> <conc> [sandbox] -> JSON { perSecond, rssMb }
//        node bench/bare-spawn.mjs graphile <postgres url> <total> <conc> -> JSON { perSecond, seconds, failed }
import { spawn } from 'node:child_process';
import { accessSync, chownSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { taskCommand } from '../src/runner/sandbox/bwrap-args.mjs';
import { seccompProgram } from '../src/runner/sandbox/seccomp.mjs';

/** An unprivileged user to run bwrap as when this runs as root (taskd runs it as its task user). */
const NOBODY = 65534;

/** The shell arguments of each command the baselines run. */
const SHELL_ARGS = { true: ['-c', 'true'], date: ['-c', 'date +%s%N'] };

function bwrapFile() {
  for (const file of ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'])
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // the next place
    }
  throw new Error('bwrap is not installed');
}

/**
 * How to run `true` or `date +%s%N`: plainly (`true` itself, the shell for date), or as a
 * sandboxed task runs it, its shell inside bwrap.
 * @param {boolean} sandboxed
 */
function launcher(sandboxed) {
  if (!sandboxed)
    return {
      command: (kind) =>
        kind === 'true' ? { file: 'true', args: [], inputs: [] } : { file: '/bin/sh', args: SHELL_ARGS.date, inputs: [] },
      done() {},
    };
  const bwrap = bwrapFile();
  const dir = mkdtempSync(path.join(tmpdir(), 'taskd-bench-bwrap-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(dir, NOBODY, NOBODY);
  const sandbox = { bwrap, network: false, dataDir: path.join(dir, 'data'), seccomp: seccompProgram() };
  return {
    command: (kind) => ({
      ...taskCommand(sandbox, dir, { PATH: '/usr/bin:/bin' }, SHELL_ARGS[kind]),
      cwd: dir,
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    }),
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function spawnOne(run) {
  const t0 = performance.now();
  const child = spawn(run.file, run.args, {
    stdio: ['ignore', 'pipe', 'ignore', ...run.inputs.map(() => 'pipe')],
    env: run.env,
    cwd: run.cwd,
    uid: run.uid,
    gid: run.gid,
  });
  run.inputs.forEach((data, i) => child.stdio[3 + i].end(data));
  let stdout = '';
  child.stdout.on('data', (chunk) => void (stdout += chunk.toString()));
  const spawned = new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(performance.now() - t0));
    child.once('error', reject);
  });
  const exited = new Promise((resolve, reject) => {
    child.once('close', (code) =>
      code === 0 ? resolve({ ms: performance.now() - t0, stdout }) : reject(new Error(`${run.file} exited ${code}`)),
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

async function latency(count, run) {
  const out = { toSpawn: [], toExit: [], selfReport: [] };
  for (let i = 0; i < count; i++) {
    const { spawned, exited } = spawnOne(run.command('true'));
    out.toSpawn.push(await spawned);
    out.toExit.push((await exited).ms);
  }
  const wall = wallClock();
  for (let i = 0; i < count; i++) {
    const sent = wall();
    const { stdout } = await spawnOne(run.command('date')).exited;
    out.selfReport.push(Number(BigInt(stdout.trim()) / 1000n) / 1000 - sent);
  }
  return out;
}

async function throughput(total, concurrency, run) {
  let started = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (started < total) {
      started++;
      await spawnOne(run.command('true')).exited;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { perSecond: total / ((performance.now() - t0) / 1000), rssMb: process.memoryUsage().rss / 2 ** 20 };
}

async function graphileWorker(connectionString, total, concurrency) {
  // Loaded only here: a dev dependency of the bench alone.
  const { Logger, makeWorkerUtils, run } = await import('graphile-worker');
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
    taskList: { spawn_true: () => spawnOne({ file: '/bin/true', args: [], inputs: [] }).exited },
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
  return { perSecond: succeeded / seconds, seconds, failed };
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'graphile') {
  process.stdout.write(JSON.stringify(await graphileWorker(rest[0], Number(rest[1]), Number(rest[2]))));
} else {
  const run = launcher(rest.at(-1) === 'sandbox');
  try {
    const result = mode === 'latency' ? await latency(Number(rest[0]), run) : await throughput(Number(rest[0]), Number(rest[1]), run);
    process.stdout.write(JSON.stringify(result));
  } finally {
    run.done();
  }
}
