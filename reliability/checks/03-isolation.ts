// Tenant isolation (issue 8, part 3): three look-alike tenants, a caller for every role in one,
// and fast-check properties over every task list and single-task endpoint of the four APIs.
// Nothing of another tenant may be listed, counted, reached through paging links or echoed in an
// error, and a task the caller may not read answers exactly as a guid that exists nowhere.
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { Harness, PG_URL, type StoreKind } from '../../test/support/harness.js';
import { FailureLog, skippedReport, type CheckOptions, type CheckReport, type ReliabilityCheck } from '../check.js';
import { checkBaseline } from '../isolation/baseline.js';
import { IsolationClient } from '../isolation/client.js';
import { PropertyContext } from '../isolation/context.js';
import { cfAppTaskListProperty, cfTaskListProperty } from '../isolation/cf-lists.js';
import { astraTaskListProperty } from '../isolation/astra-lists.js';
import { vsphereTaskListProperty } from '../isolation/vsphere-lists.js';
import { dbvisitTaskListProperty } from '../isolation/dbvisit-lists.js';
import { hiddenIdProperty } from '../isolation/hidden-ids.js';
import { snapshotDifference, snapshotTasks } from '../isolation/store-snapshot.js';
import { buildWorld } from '../isolation/world.js';

/** Runs per property: the quick size is what `npm test` affords. */
const RUNS = { quick: 25, full: 300 };

type Property = fc.IAsyncProperty<any>;

async function runIsolation(kind: StoreKind, options: CheckOptions): Promise<CheckReport> {
  const failures = new FailureLog();
  // No runner here: the tasks stay in the states the check gives them (a runner elsewhere seems
  // alive, so nothing PENDING expires); nothing is old enough to be pruned.
  const started = performance.now();
  const h = new Harness(kind, { runnerSlots: 0 });
  await h.start();
  try {
    const world = await buildWorld(h);
    const setupSeconds = (performance.now() - started) / 1000;
    options.log(
      `${world.tenants.length} tenants, ${world.tasks.length} tasks and ${world.callers.length} role callers set up in ${setupSeconds.toFixed(1)} s`,
    );
    const client = new IsolationClient(h, world);
    const ctx = new PropertyContext(world, client);
    const before = await snapshotTasks(h);
    const baselines = await checkBaseline(world, client, failures);

    const strangers: [string, string] = [randomUUID(), randomUUID()];
    const strangerId = 2 ** 31 - 7;
    const properties: [string, Property][] = [
      ['CF GET /v3/tasks', cfTaskListProperty(ctx, strangers[0])],
      ['CF GET /v3/apps/:guid/tasks', cfAppTaskListProperty(ctx, strangers)],
      ['Astra task list', astraTaskListProperty(ctx, strangers)],
      ['vSphere task lists', vsphereTaskListProperty(ctx, strangers[0])],
      ['Dbvisit /task/list', dbvisitTaskListProperty(ctx, strangerId)],
      ['hidden task ids answer as random ones', hiddenIdProperty(ctx)],
    ];
    const numRuns = options.quick ? RUNS.quick : RUNS.full;
    let runs = 0;
    for (const [i, [name, property]] of properties.entries()) {
      // One seed per property, derived from the check's seed, so each replays on its own.
      const seed = (options.seed + i * 7919) | 0;
      const propertyStarted = performance.now();
      const details = await fc.check(property, { seed, numRuns, endOnFailure: options.quick });
      const seconds = ((performance.now() - propertyStarted) / 1000).toFixed(1);
      runs += details.numRuns;
      if (details.failed) {
        // The seed, the counterexample and the property's own words, on one line.
        const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
        const message = `counterexample ${JSON.stringify(details.counterexample)} (path ${details.counterexamplePath}): ${error}`;
        failures.add(`${name} broke (fast-check seed ${seed}): ${message}`);
      } else {
        options.log(`${name}: ${details.numRuns} runs held in ${seconds} s (seed ${seed})`);
      }
    }

    const difference = snapshotDifference(before, await snapshotTasks(h));
    if (difference) failures.add(`a tenant-bound caller changed a task it may not reach: ${difference}`);

    return {
      trials: runs + baselines,
      failures: failures.all,
      checked: [
        "each caller's unfiltered list in every API is exactly the tasks of the spaces their role reads (computed from what was created)",
        'CF, Astra, vSphere and Dbvisit lists under generated filters, paging and includes show, count and link to only readable tasks',
        "another tenant's account, app or task answers exactly as a random id (status, content type, body modulo the id) on every single-task endpoint",
        "no answer holds another tenant's guids, unique names, labels, annotations, output or messages unless the request carried them",
        'no request of a tenant-bound caller changed any task',
        'no 5xx',
      ],
      figures: {
        properties: properties.length,
        'runs per property': numRuns,
        'property runs': runs,
        'baseline lists': baselines,
        'requests made': client.requests,
        'endpoints covered': client.endpoints.size,
        'set-up time': `${setupSeconds.toFixed(1)} s`,
        ...ctx.outcomes,
        tenants: world.tenants.length,
        roles: world.callers.length,
        tasks: world.tasks.length,
      },
    };
  } finally {
    await h.stop();
  }
}

export const checks: ReliabilityCheck[] = [
  {
    name: 'isolation',
    title: 'Tenant isolation on SQLite: property tests over every task endpoint of the four APIs, as every role',
    run: (options) => runIsolation('sqlite', options),
  },
  {
    name: 'isolation-postgres',
    title: 'Tenant isolation on PostgreSQL: the same properties',
    run: async (options) =>
      PG_URL ? runIsolation('postgres', options) : skippedReport('TASKD_TEST_PG_URL is not set: no PostgreSQL to test against'),
  },
];
