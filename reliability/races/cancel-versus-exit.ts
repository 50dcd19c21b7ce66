// Cancel versus exit: a task that sleeps a few hundredths of a second is cancelled at about the
// moment it exits by itself. The moment is aimed from what earlier races saw (see offsetMs), with
// a seeded jitter either side, so some cancels land before the claim, some while it runs, some as
// it exits and some after. Whoever wins, the task must end once, in one final state that never
// changes, reported once, and the cancel's answer must agree with the outcome. On PostgreSQL half the cancels go to the node that
// does not run the task. One race in ten sends a second cancel at the same moment (to the other
// node, where there is one): two cancels racing each other and the exit.
import type { FailureLog } from '../check.js';
import { percentile, seededRandom } from '../check.js';
import type { RaceCluster, TaskdNode } from './cluster.js';
import { described, type Answer } from '../support/http.js';
import { recordedEnds, recordedEndsReaching } from './recorded-ends.js';
import { countTaskEvents, pause, runnerMessages, waitUntil } from './store-reads.js';

export const CANCEL_RACE_CHECKED = [
  'each raced task ends in exactly one final state: SUCCEEDED (exit 0) or FAILED "task was cancelled"',
  'the cancel answers agree with the outcome: 202 CANCELING only when the task ends cancelled (and it does when any cancel was accepted), else 422 CF-UnprocessableEntity "Task state is <final state> and therefore cannot be canceled"; never a 5xx',
  "the final state never changes once observed (stored row and every node's API read again later)",
  'each task has one audit.app.task.create event, and one audit.app.task.cancel per cancel accepted (none when none was)',
  "each task that a runner claimed is reported ended once: one end message from the runner, matching the outcome, and one task-duration observation in the nodes' metrics; an unclaimed one has neither",
];

type Placement = 'before claim' | 'running node' | 'other node';

interface Race {
  index: number;
  guid: string;
  id: number;
  sleepMs: number;
  placement: Placement;
  /** One cancel, or two sent at once. */
  cancels: Answer[];
  final: FinalRow;
  runnerId: string | null;
}

interface FinalRow {
  state: string;
  failure_reason: string | null;
  exit_status: number | null;
  finished_at: string | null;
  updated_at: string;
  runner_id: string | null;
}

export interface CancelRaceResult {
  races: number;
  wonByCancel: number;
  wonByExit: number;
  placements: Record<Placement, number>;
  serverErrors: number;
  cancelLatencies: number[];
  doubleCancels: number;
  /** Where the aim settled: ms after the create's answer, beyond the sleep. */
  offsetMs: number;
}

const CANCELLED = 'task was cancelled';
const FINAL_TIMEOUT_MS = 60_000;
const SETTLE_TIMEOUT_MS = 15_000;

export async function raceCancelsWithExits(
  cluster: RaceCluster,
  races: number,
  concurrency: number,
  seed: number,
  failures: FailureLog,
  log: (line: string) => void,
): Promise<CancelRaceResult> {
  const app = await cluster.app();
  const random = seededRandom(seed);
  // Drawn up front, in race order, so that a seed replays the same sleeps and jitters. One race
  // in ten cancels as soon as the create is answered instead: cancel versus claim, mostly.
  const plans = Array.from({ length: races }, (_, index) => ({
    index,
    sleepMs: 20 + Math.floor(random() * 8) * 10,
    jitter: 0.6 + 0.8 * random(),
    atOnce: random() < 0.1,
    twice: random() < 0.1,
  }));
  // When to cancel, after the create's answer and beyond the sleep: taskd's own share (claim,
  // spawn, exit, recording) as the races find it. Nudged later after each race the cancel won and
  // earlier after each the exit won, it settles where either wins about half the time, whatever
  // the load; the jitter spreads the cancels either side of it.
  let offsetMs = 100;
  const NUDGE_MS = 8;
  const done: Race[] = [];
  let serverErrors = 0;
  const durationsBefore = await recordedEnds(cluster);
  log(`cancel versus exit: ${races} races, ${concurrency} at a time, over ${cluster.nodes.length} node(s)`);

  const raceOne = async (plan: (typeof plans)[number]): Promise<void> => {
    const { index, sleepMs } = plan;
    const createdOn = cluster.nodes[index % cluster.nodes.length]!;
    const created = await cluster.send('POST', `${createdOn.url}/v3/apps/${app.guid}/tasks`, {
      command: `sleep 0.0${sleepMs / 10}`,
      name: `race-${index}`,
    });
    if (created.status >= 500 || created.status === 0) serverErrors++;
    if (created.status !== 202) return failures.add(`race ${index}: create: ${described(created)}`);
    const guid: string = created.body.guid;

    if (!plan.atOnce) await pause((offsetMs + sleepMs) * plan.jitter);
    const { target, placement } = await cancelTarget(cluster, guid, index);
    const targets = plan.twice ? [target, cluster.nodes.find((n) => n !== target) ?? target] : [target];
    const cancels = await Promise.all(targets.map((node) => cluster.send('POST', `${node.url}/v3/tasks/${guid}/actions/cancel`)));
    serverErrors += cancels.filter((c) => c.status >= 500 || c.status === 0).length;

    let final: (FinalRow & { id: number }) | undefined;
    const ended = await waitUntil(
      async () => {
        final = await cluster.db
          .selectFrom('tasks')
          .select(['id', 'state', 'failure_reason', 'exit_status', 'finished_at', 'updated_at', 'runner_id'])
          .where('guid', '=', guid)
          .executeTakeFirst();
        return final !== undefined && (final.state === 'SUCCEEDED' || final.state === 'FAILED');
      },
      FINAL_TIMEOUT_MS,
      20,
    );
    if (!ended || !final)
      return failures.add(
        `race ${index}: task ${guid} not final within ${FINAL_TIMEOUT_MS / 1000} s: ${JSON.stringify(final)} (cancels: ${cancels.map(described).join('; ')})`,
      );
    if (!plan.atOnce) offsetMs = Math.max(0, offsetMs + (final.state === 'FAILED' ? NUDGE_MS : -NUDGE_MS));
    const race: Race = { index, guid, id: final.id, sleepMs, placement, cancels, final, runnerId: final.runner_id };
    judgeOutcome(race, failures);
    done.push(race);
  };

  let next = 0;
  const worker = async () => {
    while (next < plans.length) await raceOne(plans[next++]!);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));

  log('races run; reading the outcomes again');
  // Longer than a runner's poll (1 s): anything that would change a final task later (a missed
  // cancel caught by a poll, a second finish) has had its chance.
  await pause(1500);
  await judgeLater(cluster, app.guid, done, failures);
  await judgeReports(cluster, app.guid, done, durationsBefore, failures);

  const placements: Record<Placement, number> = { 'before claim': 0, 'running node': 0, 'other node': 0 };
  for (const r of done) placements[r.placement]++;
  return {
    races,
    wonByCancel: done.filter((r) => r.final.state === 'FAILED').length,
    wonByExit: done.filter((r) => r.final.state === 'SUCCEEDED').length,
    placements,
    serverErrors,
    cancelLatencies: done.flatMap((r) => r.cancels.map((c) => c.ms)),
    doubleCancels: done.filter((r) => r.cancels.length > 1).length,
    offsetMs,
  };
}

/**
 * Where the cancel goes. With two nodes: once a runner holds the task, even races cancel on the
 * node that does not run it (the cancel reaches the runner through the store and its signal
 * relay), odd ones on the node that does.
 */
async function cancelTarget(cluster: RaceCluster, guid: string, index: number): Promise<{ target: TaskdNode; placement: Placement }> {
  const { nodes } = cluster;
  const row = await cluster.db.selectFrom('tasks').select('runner_id').where('guid', '=', guid).executeTakeFirst();
  const running = cluster.nodeOfRunner(row?.runner_id ?? null);
  if (!running) return { target: nodes[(index + 1) % nodes.length]!, placement: 'before claim' };
  const other = nodes.find((n) => n !== running);
  if (other && index % 2 === 0) return { target: other, placement: 'other node' };
  return { target: running, placement: 'running node' };
}

/** The final state, and whether the cancels' answers agree with it. */
function judgeOutcome(race: Race, failures: FailureLog): void {
  const { index, guid, cancels, final } = race;
  const at = `race ${index} (task ${guid}, sleep ${race.sleepMs} ms, ${cancels.length} cancel(s), ${race.placement})`;
  if (final.state === 'SUCCEEDED') {
    if (final.exit_status !== 0 || final.failure_reason !== null)
      failures.add(`${at}: SUCCEEDED with exit status ${final.exit_status} and failure reason ${final.failure_reason}`);
  } else if (final.failure_reason !== CANCELLED) {
    failures.add(`${at}: FAILED "${final.failure_reason}", neither succeeded nor cancelled`);
  }
  const accepted = cancels.filter((c) => c.status === 202).length;
  if (accepted && final.state !== 'FAILED') failures.add(`${at}: a cancel was answered 202, yet the task ended ${final.state}`);
  if (!accepted && final.state !== 'SUCCEEDED')
    failures.add(`${at}: no cancel was accepted, yet the task ended ${final.state} "${final.failure_reason}"`);
  for (const cancel of cancels) {
    if (cancel.status === 202) {
      if (cancel.body?.state !== 'CANCELING') failures.add(`${at}: cancel answered 202 with state ${cancel.body?.state}, not CANCELING`);
    } else if (cancel.status === 422) {
      // A cancel that comes second may find the task already FAILED by the first.
      const error = cancel.body?.errors?.[0];
      const detail = `Task state is ${final.state} and therefore cannot be canceled`;
      if (error?.title !== 'CF-UnprocessableEntity' || error?.code !== 10008 || error?.detail !== detail)
        failures.add(`${at}: cancel answered 422 but not with "${detail}": ${cancel.text}`);
    } else {
      failures.add(`${at}: cancel answered ${described(cancel)}`);
    }
  }
}

/** Read again later, in the store and through every node's API: nothing changed. */
async function judgeLater(cluster: RaceCluster, appGuid: string, races: Race[], failures: FailureLog): Promise<void> {
  const rows = await cluster.db
    .selectFrom('tasks')
    .select(['guid', 'state', 'failure_reason', 'exit_status', 'finished_at', 'updated_at', 'runner_id'])
    .where(
      'guid',
      'in',
      races.map((r) => r.guid),
    )
    .execute();
  const byGuid = new Map(rows.map((r) => [r.guid, r]));
  for (const race of races) {
    const now = byGuid.get(race.guid);
    const then = race.final;
    const fields = ['state', 'failure_reason', 'exit_status', 'finished_at', 'updated_at', 'runner_id'] as const;
    const changed = fields.filter((f) => now?.[f] !== then[f]);
    if (changed.length)
      failures.add(
        `race ${race.index} (task ${race.guid}): changed after it was final: ${changed.map((f) => `${f} ${then[f]} → ${now?.[f]}`).join(', ')}`,
      );
  }
  for (const node of cluster.nodes) {
    const listed = await cluster.send('GET', `${node.url}/v3/apps/${appGuid}/tasks?per_page=5000`);
    if (listed.status !== 200) {
      failures.add(`listing the raced tasks on ${node.url}: ${described(listed)}`);
      continue;
    }
    const shown = new Map<string, any>(listed.body.resources.map((t: any) => [t.guid, t]));
    for (const race of races) {
      const task = shown.get(race.guid);
      if (task?.state !== race.final.state || (task?.result?.failure_reason ?? null) !== race.final.failure_reason) {
        failures.add(
          `race ${race.index} (task ${race.guid}): ${node.url} shows ${task?.state} "${task?.result?.failure_reason}", stored final was ${race.final.state} "${race.final.failure_reason}"`,
        );
      }
    }
  }
}

/** Each end reported once: audit events, the runner's end message and the nodes' metrics. */
async function judgeReports(
  cluster: RaceCluster,
  appGuid: string,
  races: Race[],
  durationsBefore: number,
  failures: FailureLog,
): Promise<void> {
  const creates = await countTaskEvents(cluster.db, appGuid, 'audit.app.task.create');
  const cancels = await countTaskEvents(cluster.db, appGuid, 'audit.app.task.cancel');
  const claimed = races.filter((r) => r.runnerId !== null);
  // A runner tells its end message and its metrics just after the final state is stored: given
  // time to, not judged in that moment.
  let messages = new Map<number, string[]>();
  await waitUntil(
    async () => {
      messages = await runnerMessages(
        cluster.db,
        races.map((r) => r.id),
      );
      return claimed.every((r) => (messages.get(r.id) ?? []).some((m) => m !== 'started'));
    },
    SETTLE_TIMEOUT_MS,
    200,
  );
  for (const race of races) {
    const at = `race ${race.index} (task ${race.guid}, ${race.final.state})`;
    if (creates.get(race.guid) !== 1) failures.add(`${at}: ${creates.get(race.guid) ?? 0} audit.app.task.create events, not 1`);
    const accepted = race.cancels.filter((c) => c.status === 202).length;
    if ((cancels.get(race.guid) ?? 0) !== accepted)
      failures.add(`${at}: ${cancels.get(race.guid) ?? 0} audit.app.task.cancel events for ${accepted} accepted cancel(s)`);
    const said = messages.get(race.id) ?? [];
    const ends = said.filter((m) => m !== 'started');
    const starts = said.length - ends.length;
    if (race.runnerId === null) {
      if (said.length) failures.add(`${at}: never claimed, yet the runner said ${JSON.stringify(said)}`);
      continue;
    }
    if (starts > 1) failures.add(`${at}: the runner said "started" ${starts} times`);
    const expected = race.final.state === 'SUCCEEDED' ? 'exited with status 0' : 'cancelled';
    if (ends.length !== 1 || ends[0] !== expected)
      failures.add(`${at}: the runner reported its end as ${JSON.stringify(ends)}, not once as "${expected}"`);
  }
  const recorded = (await recordedEndsReaching(cluster, durationsBefore + claimed.length, SETTLE_TIMEOUT_MS)) - durationsBefore;
  if (recorded !== claimed.length)
    failures.add(`the nodes' metrics observed ${recorded} task ends for the ${claimed.length} raced tasks that runners claimed`);
}

export function cancelRaceFigures(result: CancelRaceResult): Record<string, string | number> {
  return {
    races: result.races,
    'races won by cancel (FAILED "task was cancelled")': result.wonByCancel,
    'races won by exit (SUCCEEDED)': result.wonByExit,
    'races cancelled before a runner claimed the task': result.placements['before claim'],
    'races cancelled on the node running the task': result.placements['running node'],
    'races cancelled on the other node': result.placements['other node'],
    'races with two cancels at once': result.doubleCancels,
    'cancels aimed at (after the create answer, beyond the sleep, ±40 % jitter)': `${result.offsetMs} ms`,
    'cancel latency p50': `${percentile(result.cancelLatencies, 50).toFixed(1)} ms`,
    'cancel latency p99': `${percentile(result.cancelLatencies, 99).toFixed(1)} ms`,
  };
}
