// Check 4 of issue 8, "Hostile input": thousands of fuzzed requests per API, made from taskd's
// own OpenAPI document, over real HTTP to a taskd on a real port. What must hold: no 5xx, no
// hang, every refusal in its API's own envelope (never HTML or a stack trace), no row left by a
// refused change, memory steady and taskd still ready afterwards. Bad credentials: 04b-tokens.ts.
import { FailureLog, seededRandom, type CheckOptions, type CheckReport, type ReliabilityCheck } from '../check.js';
import { runCampaign } from '../fuzz/campaign.js';
import { mib, settledMemory } from '../fuzz/memory.js';
import { API_NAMES, routesOf } from '../fuzz/routes.js';
import { sendRaw } from '../fuzz/raw-http.js';
import { FuzzTarget } from '../fuzz/target.js';
import { PG_URL, type StoreKind } from '../../test/support/harness.js';

const FULL_PER_API = 10_000;
export const QUICK_PER_API = 200;
/** Heap still held after GC, beyond this growth and this many bytes, is a leak. */
const LEAK_RATIO = 1.5;
const LEAK_FLOOR_BYTES = 16 * 1024 * 1024;

export const CHECKED = [
  'no answer is a 5xx and none hangs',
  "every 4xx is in its API's own envelope and content type (CF errors[], Astra problem+json, vSphere {type,value} / {error_type,messages}, Dbvisit {successful:false,error}), never HTML or a stack trace",
  'a refused change leaves the tasks, apps, droplets, orgs, spaces, roles and users tables as they were',
  'a refused task create (POST /v3/apps/:guid/tasks) created nothing',
  'heap held after GC, and RSS after settling, do not grow by more than half',
  'taskd is still ready after the attack',
];

async function attackStore(
  kind: StoreKind,
  options: CheckOptions,
  failures: FailureLog,
  figures: Record<string, string | number>,
): Promise<number> {
  const target = new FuzzTarget(kind);
  const perApi = options.quick ? QUICK_PER_API : FULL_PER_API;
  let trials = 0;
  try {
    await target.start();
    const routes = await routesOf(target.baseUrl);
    figures[`${kind}: routes in /openapi.json`] = API_NAMES.map((api) => `${api} ${routes.filter((r) => r.api === api).length}`).join(', ');
    let n = 0;
    const ctx = {
      world: target.world,
      credentials: target.credentials,
      bodyLimit: target.harness.config.maxBodyBytes,
      unique: () => `${options.seed}-${++n}`,
    };

    trials += await refusedCreateLeavesNothing(target, failures);
    // Warm up (JIT, caches, pools) before memory is first measured: growth after is what counts.
    for (const api of API_NAMES) await runCampaign(target, api, routes, 40, seededRandom(options.seed + 7), ctx, new FailureLog());
    const before = await settledMemory();

    const attacks = new Map<string, number>();
    for (const [i, api] of API_NAMES.entries()) {
      const result = await runCampaign(target, api, routes, perApi, seededRandom(options.seed * 31 + i), ctx, failures);
      trials += result.requests;
      for (const [attack, n] of result.attacks) attacks.set(attack, (attacks.get(attack) ?? 0) + n);
      for (const lost of await target.lostCredentials())
        failures.add(
          `${kind} ${api}: the attack's own ${lost} stopped working, so later requests were refused before taskd looked at them`,
        );
      const histogram = [...result.statuses]
        .sort(([a], [b]) => a - b)
        .map(([s, c]) => `${s}×${c}`)
        .join(' ');
      figures[`${kind} ${api}: requests`] =
        `${result.requests} in ${result.seconds.toFixed(1)} s (${(result.requests / result.seconds).toFixed(0)}/s)`;
      figures[`${kind} ${api}: statuses`] = histogram;
      options.log(`${kind} ${api}: ${result.requests} requests, ${histogram}`);
    }

    figures[`${kind}: attacks`] = [...attacks].map(([a, n]) => `${a} ${n}`).join(', ');
    const after = await settledMemory();
    figures[`${kind}: RSS before → after (settled)`] = `${mib(before.rssBytes)} → ${mib(after.rssBytes)}`;
    figures[`${kind}: heap used before → after (settled)`] = `${mib(before.heapUsedBytes)} → ${mib(after.heapUsedBytes)}`;
    const grown = after.heapUsedBytes - before.heapUsedBytes;
    if (after.heapUsedBytes > before.heapUsedBytes * LEAK_RATIO && grown > LEAK_FLOOR_BYTES) {
      failures.add(`${kind}: heap grew from ${mib(before.heapUsedBytes)} to ${mib(after.heapUsedBytes)} after GC: a leak`);
    }
    if (after.rssBytes > before.rssBytes * LEAK_RATIO) {
      // RSS falls back slowly (the allocator keeps freed pages a while): a leak only if it stays up.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const later = await settledMemory();
      figures[`${kind}: RSS 5 s later`] = mib(later.rssBytes);
      if (later.rssBytes > before.rssBytes * LEAK_RATIO)
        failures.add(`${kind}: RSS grew from ${mib(before.rssBytes)} to ${mib(later.rssBytes)} and stayed: a leak`);
    }
    if (!(await target.healthy())) failures.add(`${kind}: taskd is not ready after the attack`);
    return trials;
  } finally {
    await target.stop();
  }
}

/** The baseline of the half-write property: a create refused for its body leaves no task. */
async function refusedCreateLeavesNothing(target: FuzzTarget, failures: FailureLog): Promise<number> {
  const bodies = [
    '{"command":123}',
    '{"command":"true","memory_in_mb":"lots"}',
    '{"command":"true","metadata":{"labels":{"__proto__":"x"}}}',
    '{"command":"true"',
  ];
  for (const text of bodies) {
    const before = await target.counts();
    const res = await sendRaw(
      target.port,
      {
        method: 'POST',
        target: `/v3/apps/${target.world.appGuid}/tasks`,
        headers: [
          ['authorization', `bearer ${target.credentials.bearer}`],
          ['content-type', 'application/json'],
        ],
        body: Buffer.from(text),
      },
      20_000,
    );
    const after = await target.counts();
    if (res.status < 400 || res.status >= 500) failures.add(`baseline: task create with ${text} answered ${res.status}, not a refusal`);
    if (after.tasks !== before.tasks)
      failures.add(`baseline: refused task create with ${text} changed tasks ${before.tasks}→${after.tasks}`);
  }
  return bodies.length;
}

export const hostileInputCheck: ReliabilityCheck = {
  name: 'hostile-input',
  title: 'fuzzed requests from the OpenAPI document against all four APIs: no 5xx, own envelopes, no half-writes, memory steady',
  async run(options: CheckOptions): Promise<CheckReport> {
    const failures = new FailureLog();
    const figures: Record<string, string | number> = { seed: options.seed };
    let trials = 0;
    const stores: StoreKind[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];
    if (!PG_URL) figures['postgres'] = 'not run: TASKD_TEST_PG_URL is not set';
    for (const kind of stores) trials += await attackStore(kind, options, failures, figures);
    return { trials, failures: failures.all, checked: CHECKED, figures };
  },
};

export const checks: ReliabilityCheck[] = [hostileInputCheck];
