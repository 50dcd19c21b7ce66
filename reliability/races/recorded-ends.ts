// How many task ends the nodes' runners have recorded, as their metrics tell it: one
// taskd_task_duration_seconds observation per recorded end, so a task whose end was recorded
// twice would count twice.
import type { RaceCluster } from './cluster.js';
import { waitUntil } from './store-reads.js';

export async function recordedEnds(cluster: RaceCluster): Promise<number> {
  let total = 0;
  for (const node of cluster.nodes) {
    const res = await fetch(`${node.url}/metrics`, {
      headers: { authorization: `bearer ${cluster.token}` },
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    for (const line of text.split('\n')) {
      const m = /^taskd_task_duration_seconds_count(?:\{[^}]*\})? (\d+)/.exec(line);
      if (m) total += Number(m[1]);
    }
  }
  return total;
}

/**
 * The count once it reaches `expected` (a runner records its metrics just after the end is
 * stored), or as it stands when the timeout passes first. Read once more after reaching it, so
 * that an end counted twice shows as more than expected rather than being caught mid-way.
 */
export async function recordedEndsReaching(cluster: RaceCluster, expected: number, timeoutMs: number): Promise<number> {
  await waitUntil(async () => (await recordedEnds(cluster)) >= expected, timeoutMs, 200);
  return recordedEnds(cluster);
}
