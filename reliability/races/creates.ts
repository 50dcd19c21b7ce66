// Many clients creating tasks on one app at once, over real HTTP to every node: each create is
// answered 202 (CF's status for a task create), the sequence ids are exactly 1..N with no gap or
// duplicate, and the store holds exactly the N tasks answered, each with one create audit event.
// The tasks run `true`; the check waits for all of them to end, each once and successfully.
import type { FailureLog } from '../check.js';
import { percentile } from '../check.js';
import type { RaceCluster } from './cluster.js';
import { described } from '../support/http.js';
import { recordedEndsReaching } from './recorded-ends.js';
import { countTaskEvents, waitUntil } from './store-reads.js';

export interface CreatesResult {
  creates: number;
  serverErrors: number;
  seconds: number;
  latencies: number[];
  drainSeconds: number;
}

export const CREATES_CHECKED = [
  'every concurrent create is answered 202 with the task (no 5xx, no other 4xx)',
  'sequence ids answered are exactly 1..N, no gap, no duplicate',
  "the store holds exactly the N answered tasks for the app, each with its answered sequence id, and the app's next sequence id is N+1",
  'each created task has exactly one audit.app.task.create event',
  'each created task runs once (one "started" message), SUCCEEDS, and its end is recorded once (the nodes\' metrics count N ends)',
];

export async function raceCreates(
  cluster: RaceCluster,
  clients: number,
  perClient: number,
  failures: FailureLog,
  log: (line: string) => void,
): Promise<CreatesResult> {
  const app = await cluster.app();
  const total = clients * perClient;
  const answered = new Map<string, number>();
  const latencies: number[] = [];
  let serverErrors = 0;
  log(`creates: ${clients} clients × ${perClient} on one app, over ${cluster.nodes.length} node(s)`);

  const started = performance.now();
  const client = async (c: number) => {
    // Clients are spread over the nodes: on PostgreSQL both processes take creates for the app.
    const node = cluster.nodes[c % cluster.nodes.length]!;
    for (let i = 0; i < perClient; i++) {
      const answer = await cluster.send('POST', `${node.url}/v3/apps/${app.guid}/tasks`, { command: 'true', name: `c${c}-${i}` });
      latencies.push(answer.ms);
      if (answer.status >= 500 || answer.status === 0) serverErrors++;
      if (answer.status !== 202) {
        failures.add(`create ${i} of client ${c} on ${node.url}: ${described(answer)}`);
        continue;
      }
      answered.set(answer.body.guid, answer.body.sequence_id);
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  const seconds = (performance.now() - started) / 1000;

  const ids = [...answered.values()].sort((a, b) => a - b);
  const dupes = ids.filter((id, i) => i > 0 && ids[i - 1] === id);
  if (dupes.length) failures.add(`duplicate sequence ids answered: ${[...new Set(dupes)].slice(0, 20).join(', ')}`);
  const missing = missingFrom(ids, total);
  if (missing.length)
    failures.add(`sequence ids missing from 1..${total}: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ' …' : ''}`);

  const rows = await cluster.db.selectFrom('tasks').select(['guid', 'sequence_id']).where('app_id', '=', app.id).execute();
  if (rows.length !== total) failures.add(`the store holds ${rows.length} tasks for the app, not ${total}`);
  const stored = new Map(rows.map((r) => [r.guid, r.sequence_id]));
  for (const [guid, seq] of answered) {
    if (stored.get(guid) !== seq) failures.add(`task ${guid} answered with sequence id ${seq}, stored with ${stored.get(guid)}`);
  }
  const storedIds = new Set(rows.map((r) => r.sequence_id));
  if (storedIds.size !== rows.length) failures.add(`the store holds ${rows.length - storedIds.size} duplicate sequence ids for the app`);
  const appRow = await cluster.db.selectFrom('apps').select('next_task_sequence_id').where('id', '=', app.id).executeTakeFirstOrThrow();
  if (appRow.next_task_sequence_id !== total + 1)
    failures.add(`the app's next sequence id is ${appRow.next_task_sequence_id}, not ${total + 1}`);

  const guids = rows.map((r) => r.guid);
  log(`creates answered; waiting for the ${total} tasks to end`);
  const creates = await countTaskEvents(cluster.db, app.guid, 'audit.app.task.create');
  for (const guid of guids) {
    if (creates.get(guid) !== 1) failures.add(`task ${guid} has ${creates.get(guid) ?? 0} audit.app.task.create events, not 1`);
  }

  // All of them end before anything else runs on the nodes (the next check needs free slots).
  const drainStarted = performance.now();
  const drained = await waitUntil(
    async () => {
      const open = await cluster.db
        .selectFrom('tasks')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('app_id', '=', app.id)
        .where('finished_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(open.n) === 0;
    },
    Math.max(120_000, total * 100),
  );
  const drainSeconds = (performance.now() - drainStarted) / 1000;
  if (!drained) failures.add(`the created tasks did not all end within ${Math.max(120, total / 10)} s`);
  const unsuccessful = await cluster.db
    .selectFrom('tasks')
    .select(['guid', 'state', 'failure_reason'])
    .where('app_id', '=', app.id)
    .where('state', '!=', 'SUCCEEDED')
    .limit(10)
    .execute();
  for (const t of unsuccessful) failures.add(`created task ${t.guid} ended ${t.state} (${t.failure_reason}), not SUCCEEDED`);
  const starts = await cluster.db
    .selectFrom('task_messages')
    .innerJoin('tasks', 'tasks.id', 'task_messages.task_id')
    .select(['tasks.guid', (eb) => eb.fn.countAll<number>().as('n')])
    .where('tasks.app_id', '=', app.id)
    .where('task_messages.source', '=', 'runner')
    .where('task_messages.text', '=', 'started')
    .groupBy('tasks.guid')
    .execute();
  if (starts.length !== total) failures.add(`${starts.length} of the ${total} created tasks said "started", not all`);
  for (const s of starts) if (Number(s.n) !== 1) failures.add(`created task ${s.guid} started ${s.n} times`);
  // The nodes are fresh: their metrics hold these tasks' ends and nothing else.
  const recorded = await recordedEndsReaching(cluster, total, 15_000);
  if (recorded !== total) failures.add(`the nodes' metrics observed ${recorded} task ends for the ${total} created tasks`);

  return { creates: total, serverErrors, seconds, latencies, drainSeconds };
}

/** The numbers of 1..total not in the sorted list. */
function missingFrom(sorted: number[], total: number): number[] {
  const present = new Set(sorted);
  const missing: number[] = [];
  for (let i = 1; i <= total; i++) if (!present.has(i)) missing.push(i);
  return missing;
}

export function createFigures(result: CreatesResult): Record<string, string | number> {
  return {
    creates: result.creates,
    'creates/s': (result.creates / result.seconds).toFixed(1),
    'create latency p50': `${percentile(result.latencies, 50).toFixed(1)} ms`,
    'create latency p99': `${percentile(result.latencies, 99).toFixed(1)} ms`,
    'created tasks all ended in': `${result.drainSeconds.toFixed(1)} s`,
  };
}
