// Runs the bare spawn baselines (bench/bare-spawn.mjs) in their own small process and reads its
// answer; also measures spawn('true') from the bench process itself, for reference only.
import { execFile, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const SCRIPT = fileURLToPath(new URL('./bare-spawn.mjs', import.meta.url));

async function bare<T>(args: string[]): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
  return JSON.parse(stdout) as T;
}

export interface BareLatencies {
  /** spawn('true') to its 'spawn' event. */
  toSpawn: number[];
  /** spawn('true') to its exit. */
  toExit: number[];
  /** spawn of /bin/sh -c 'date +%s%N' to the time the process printed. */
  selfReport: number[];
}

/** `sandboxed`: inside bwrap with a task's options (bare-spawn.mjs), the floor of a sandboxed task. */
export const bareLatencies = (count: number, sandboxed = false) =>
  bare<BareLatencies>(['latency', String(count), ...(sandboxed ? ['sandbox'] : [])]);
export const bareThroughput = (total: number, concurrency: number, sandboxed = false) =>
  bare<{ perSecond: number; rssMb: number }>(['throughput', String(total), String(concurrency), ...(sandboxed ? ['sandbox'] : [])]);

/** spawn('true') to its 'spawn' event from the bench process (large: tsx, autocannon, SQLite). */
export async function inProcessSpawnLatencies(count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const child = spawn('true', [], { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    out.push(performance.now() - t0);
    await new Promise((resolve) => child.once('close', resolve));
  }
  return out;
}
