// HTTP load with autocannon: a short warm-up, then a timed run; figures from the timed run only.
import autocannon from 'autocannon';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  bytesPerResponse: number;
}

export interface LoadOptions {
  connections: number;
  seconds: number;
  warmupSeconds: number;
}

export async function load(url: string, token: string | undefined, options: LoadOptions): Promise<LoadResult> {
  const headers: Record<string, string> = token ? { authorization: `bearer ${token}` } : {};
  const run = (duration: number) => autocannon({ url, connections: options.connections, duration, headers, timeout: 30 });
  if (options.warmupSeconds > 0) await run(options.warmupSeconds);
  const r = await run(options.seconds);
  const completed = r['2xx'] + r.non2xx;
  return {
    rps: r['2xx'] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    bytesPerResponse: completed ? r.throughput.total / completed : 0,
  };
}
