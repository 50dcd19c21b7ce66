// Races: many clients creating tasks on one app at once, and cancels racing tasks' own exits, on
// SQLite (one taskd process) and on PostgreSQL (two taskd processes on one schema, both serving
// the API and running tasks).
import type { CheckOptions, CheckReport, ReliabilityCheck } from '../check.js';
import { FailureLog, skippedReport } from '../check.js';
import { PG_URL, type StoreKind } from '../../test/support/harness.js';
import { RaceCluster } from '../races/cluster.js';
import { CREATES_CHECKED, createFigures, raceCreates } from '../races/creates.js';
import { CANCEL_RACE_CHECKED, cancelRaceFigures, raceCancelsWithExits } from '../races/cancel-versus-exit.js';

/** Full size as the issue asks; quick size is what `npm test` runs. */
const SIZES = {
  full: { clients: 8, createsPerClient: 500, cancelRaces: 1000 },
  quick: { clients: 4, createsPerClient: 50, cancelRaces: 100 },
};

/** Runner slots per node: enough that the races' tasks never wait for one. */
const SLOTS = 8;
/** Races in flight per node. */
const RACES_PER_NODE = 6;

export async function runRaces(kind: StoreKind, options: CheckOptions): Promise<CheckReport> {
  if (kind === 'postgres' && !PG_URL) return skippedReport('TASKD_TEST_PG_URL is not set: no PostgreSQL to race two taskd processes on');
  const size = options.quick ? SIZES.quick : SIZES.full;
  const failures = new FailureLog();
  const started = performance.now();
  const log = (line: string) => options.log(`${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`);
  const cluster = await RaceCluster.start({ kind, slots: SLOTS });
  try {
    log(`${cluster.nodes.length} taskd process(es) serving`);
    const creates = await raceCreates(cluster, size.clients, size.createsPerClient, failures, log);
    const races = await raceCancelsWithExits(cluster, size.cancelRaces, RACES_PER_NODE * cluster.nodes.length, options.seed, failures, log);
    log('done');
    return {
      trials: creates.creates + races.races,
      failures: failures.all,
      checked: [...CREATES_CHECKED, ...CANCEL_RACE_CHECKED],
      figures: {
        'taskd processes': cluster.nodes.length,
        ...createFigures(creates),
        ...cancelRaceFigures(races),
        '5xx answers': creates.serverErrors + races.serverErrors,
      },
    };
  } finally {
    await cluster.stop();
  }
}

export const checks: ReliabilityCheck[] = [
  {
    name: 'races-sqlite',
    title: 'concurrent creates on one app and cancel-versus-exit races, one taskd process on SQLite',
    run: (options) => runRaces('sqlite', options),
  },
  {
    name: 'races-postgres',
    title: 'concurrent creates on one app and cancel-versus-exit races, two taskd processes on one PostgreSQL schema',
    run: (options) => runRaces('postgres', options),
  },
];
