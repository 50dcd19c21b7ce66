// `npm run bench`: seeds (or reuses) a store of a million tasks, then prints list throughput and
// latency under HTTP load, Astra `continue` paging from the first page to the last,
// create-to-started latency and end-to-end task throughput, each beside a baseline measured in
// the same run, and (on PostgreSQL) the throughput of three nodes beside one and creates on one app
// beside creates on many. Figures, never pass/fail: it exits 0 whether targets are met or not (non-zero
// only when the bench itself could not run).
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Api, bundleOf } from './api.js';
import { copySeed, DEVELOPER, ensureSeeded, ADMIN_PASSWORD, type SeedInfo } from './seed.js';
import { removeOnExit, startServer, type Server } from './processes.js';
import { writeBarePage } from './page.js';
import { load, type LoadResult } from './load.js';
import { bareLatencies, bareThroughput, inProcessSpawnLatencies } from './spawn.js';
import { selfReported, sequentialCreates, type Sample, type Series } from './latency.js';
import { endToEnd } from './throughput.js';
import { TaskWatcher, TASK_MEMORY_MB } from './tasks.js';
import { ms, rate, ratio, section, summary, table, target, targets, verdict } from './report.js';
import { astraContinue } from './astra-continue.js';
import { severalNodes } from './nodes.js';
import { createsOnOneApp } from './creates.js';

const USAGE = `usage: npm run bench -- [--quick] [--only lists,latency,droplets,throughput,astra,nodes,creates] [--reseed]
       [--tasks N] [--seconds N] [--connections N] [--slots N]
  --quick        100,000 tasks, 3 s per load shape, 100 latency samples, 1,000 throughput tasks
  --only         run only these parts (comma-separated)
  --reseed       seed a new database even if a cached one exists
  --tasks        tasks to seed (default 1,000,000)
  --seconds      seconds of load per shape after a warm-up (default 10)
  --connections  concurrent HTTP connections (default 50)
  --slots        the server's runner slots, TASKD_RUNNER_SLOTS (default 10)
  nodes, creates need a PostgreSQL: TASKD_BENCH_PG_URL, else TASKD_TEST_PG_URL`;

const PARTS = ['lists', 'latency', 'droplets', 'throughput', 'astra', 'nodes', 'creates'] as const;
type Part = (typeof PARTS)[number];

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      reseed: { type: 'boolean', default: false },
      tasks: { type: 'string' },
      seconds: { type: 'string' },
      connections: { type: 'string' },
      slots: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (v: string | undefined, fallback: number, name: string) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer\n${USAGE}`);
    return n;
  };
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : [...PARTS];
  for (const p of only) if (!PARTS.includes(p as Part)) throw new Error(`--only: unknown part '${p}'\n${USAGE}`);
  const quick = values.quick;
  return {
    quick,
    parts: new Set(only as Part[]),
    reseed: values.reseed,
    tasks: int(values.tasks, quick ? 100_000 : 1_000_000, 'tasks'),
    seconds: int(values.seconds, quick ? 3 : 10, 'seconds'),
    warmup: quick ? 1 : 2,
    connections: int(values.connections, 50, 'connections'),
    slots: int(values.slots, 10, 'slots'),
    latencySamples: quick ? 100 : 500,
    throughputTasks: quick ? 1_000 : 10_000,
    concurrency: 10,
  };
}

type Options = ReturnType<typeof options>;

async function main() {
  const opts = options();
  const cpu = cpus();
  console.log('taskd bench');
  console.log(
    `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}` +
      (cpu.length <= 2 ? ` — only ${cpu.length} cores: the load generator, taskd and the tasks it spawns share them` : ''),
  );
  console.log(`mode: ${opts.quick ? 'quick' : 'full'}; parts: ${[...opts.parts].join(', ')}`);
  console.log(loadLine('at start'));

  const seed = await ensureSeeded(opts.tasks, opts.reseed, (line) => console.log(line));
  const s = seed.states;
  console.log(
    `store: SQLite, ${seed.tasks.toLocaleString('en-US')} tasks in 1,000 apps / 100 spaces / 10 orgs; ` +
      `${Object.entries(s)
        .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
        .join(', ')}; ` +
      `${seed.labelled.toLocaleString('en-US')} labelled env=prod|staging|dev` +
      (seed.reused ? '' : `; seeded in ${seed.seconds.toFixed(1)} s`),
  );

  const runDir = mkdtempSync(path.join(tmpdir(), 'taskd-bench-run-'));
  removeOnExit(runDir);
  copySeed(seed.dir, runDir);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TASKD_ADMIN_PASSWORD: ADMIN_PASSWORD,
    TASKD_RUNNER_SLOTS: String(opts.slots),
    // Long enough that no token expires mid-run.
    TASKD_ACCESS_TOKEN_SECONDS: '7200',
    // The abuse limits pace one user on purpose (issue 17); the bench measures the work of a
    // request, with one user's many connections, so they are opened wide.
    TASKD_ACTIVE_REQUESTS_PER_USER: String(opts.connections),
    TASKD_REQUESTS_PER_SECOND_PER_USER: '0',
  };
  delete env.TASKD_DATABASE_URL;
  delete env.TASKD_CONFIG;
  let taskd = await startTaskd(runDir, env);
  const sandboxed = taskd.sandbox === 'bwrap';
  console.log(
    `taskd: pid ${taskd.pid} at ${taskd.url}, runner slots ${opts.slots}, request logging off, one user's requests neither paced nor queued; working copy of the store in ${runDir}`,
  );
  try {
    const admin = await Api.login(taskd.url, 'admin', ADMIN_PASSWORD);
    if (opts.parts.has('lists')) await lists(opts, seed, taskd, admin, runDir);
    // The seed spreads its tasks evenly over 10 orgs: the first org (the account) holds a tenth.
    if (opts.parts.has('astra')) await astraContinue(admin, seed.orgGuid, Math.round(seed.tasks / 10), 100);
    const dispatching = ['latency', 'droplets', 'throughput'].some((p) => opts.parts.has(p as Part));
    const watcher = dispatching ? new TaskWatcher(path.join(runDir, 'taskd.db')) : undefined;
    // The tasks measured run in an organization of their own: the seed's organizations hold
    // hundreds of RUNNING rows each, far over the running-task limit per organization
    // (TASKD_ORG_RUNNING_TASKS_LIMIT), so a task created there would wait PENDING for good.
    const own = dispatching
      ? { ...seed, orgGuid: (await admin.expect(201, 'POST', '/v3/organizations', { name: 'bench-dispatch' })).guid }
      : seed;
    try {
      if (opts.parts.has('latency')) await latency(opts, own, admin, watcher!, sandboxed);
      if (opts.parts.has('droplets')) await dropletSizes(opts, own, admin, watcher!);
      if (opts.parts.has('throughput')) {
        await throughput(opts, own, admin, watcher!, sandboxed);
        if (sandboxed) {
          // The same again with tasks run plainly, against a plain spawn loop: what taskd's own
          // work costs without the sandbox's start in it.
          await taskd.stop();
          taskd = await startTaskd(runDir, { ...env, TASKD_SANDBOX: 'none' });
          await throughput(opts, own, await Api.login(taskd.url, 'admin', ADMIN_PASSWORD), watcher!, false);
        }
      }
    } finally {
      watcher?.close();
    }
  } finally {
    await taskd.stop();
  }
  if (opts.parts.has('nodes')) {
    await severalNodes({
      total: opts.throughputTasks,
      latencySamples: opts.quick ? 30 : 100,
      concurrency: opts.concurrency,
      slots: opts.slots,
      timeoutSeconds: opts.quick ? 180 : 900,
    });
  }
  if (opts.parts.has('creates')) await createsOnOneApp({ total: opts.quick ? 1_000 : 4_000, concurrency: 8 });

  console.log(`\n${loadLine('at the end')}`);
  section('Targets (informational; the bench exits 0 either way)');
  console.log(
    table(
      ['target', 'result', 'figures'],
      targets.map((t) => [t.what, verdict(t.met), t.detail]),
    ),
  );
}

/** taskd over the run's store, and how its tasks are isolated (which changes what a spawn costs). */
async function startTaskd(runDir: string, env: NodeJS.ProcessEnv): Promise<Server & { sandbox: string }> {
  const taskd = await startServer('./server.ts', [runDir], env, 'taskd');
  const info = (await (await fetch(`${taskd.url}/v3/info`)).json()) as {
    taskd?: { sandbox?: string; droplet_view?: string; limits?: Record<string, string> };
  };
  const sandbox = info.taskd?.sandbox ?? 'unknown';
  console.log(
    `taskd tasks: sandbox ${sandbox}; droplet view ${info.taskd?.droplet_view ?? 'unknown'}; limits ${JSON.stringify(info.taskd?.limits ?? {})}`,
  );
  return { ...taskd, sandbox };
}

const ALONE_SAMPLES = 30;

/** Milliseconds of requests sent one at a time: the cost of one request without queueing. */
async function sequentialGets(api: Api, path: string, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await api.request('GET', path);
    out.push(performance.now() - t0);
  }
  return out;
}

/** Other work on this small machine skews every figure; say how busy it was. */
function loadLine(when: string): string {
  const [one, five] = loadavg();
  const busy = one > 0.5 ? ' — the machine is busy with other work: figures will be noisy' : '';
  return `load average ${when}: ${one.toFixed(2)} (1 min), ${five.toFixed(2)} (5 min)${busy}`;
}

interface Shape {
  name: string;
  path: string;
  api: Api;
  kind: 'first-page' | 'deep-page' | 'diagnostic';
}

async function lists(opts: Options, seed: SeedInfo, taskd: Server, admin: Api, runDir: string) {
  section(
    `GET /v3/tasks under load: ${opts.connections} connections, ${opts.seconds} s per shape after a ${opts.warmup} s warm-up (autocannon, in the bench process)`,
  );
  const developer = await Api.login(taskd.url, DEVELOPER.username, DEVELOPER.password);
  const deepPage = Math.min(10_000, Math.max(1, Math.floor(seed.tasks / 50 / 2)));
  const shapes: Shape[] = [
    { name: 'admin, first page', path: '/v3/tasks', api: admin, kind: 'first-page' },
    { name: 'space developer (1 space)', path: '/v3/tasks', api: developer, kind: 'first-page' },
    { name: 'states=RUNNING', path: '/v3/tasks?states=RUNNING', api: admin, kind: 'first-page' },
    { name: 'label_selector=env=prod', path: '/v3/tasks?label_selector=env%3Dprod', api: admin, kind: 'first-page' },
    { name: `page=${deepPage}`, path: `/v3/tasks?page=${deepPage}`, api: admin, kind: 'deep-page' },
    // Not a target: one task by guid, to tell the cost of a request (auth, routing, one row)
    // from the cost of a list.
    { name: 'diagnostic: GET /v3/tasks/:guid', path: `/v3/tasks/${seed.sampleTaskGuid}`, api: admin, kind: 'diagnostic' },
  ];

  const pageFile = path.join(runDir, 'bare-page.json');
  const bareBytes = writeBarePage(path.join(runDir, 'taskd.db'), taskd.url, pageFile);
  const bare = await startServer('./bare-route.ts', [pageFile], process.env, 'bare');
  const bareRuns: LoadResult[] = [];
  let bareAlone = NaN;
  const results: { shape: Shape; result?: LoadResult; alone?: number; note: string }[] = [];
  try {
    const loadOpts = { connections: opts.connections, seconds: opts.seconds, warmupSeconds: opts.warmup };
    console.log(
      `bare route: pid ${bare.pid}, a fixed page of 50 seeded tasks presented by taskd's presenter, ${bareBytes.toLocaleString('en-US')} bytes of JSON`,
    );
    bareRuns.push(await load(`${bare.url}/v3/tasks`, undefined, loadOpts));
    bareAlone = summary(await sequentialGets(new Api(bare.url, ''), '/v3/tasks', ALONE_SAMPLES)).p50;
    for (const shape of shapes) {
      const probe = await shape.api.request('GET', shape.path);
      if (probe.status !== 200) {
        results.push({ shape, note: `not measurable: answers ${probe.status} ${JSON.stringify(probe.body).slice(0, 120)}` });
        continue;
      }
      const bytes = Buffer.byteLength(JSON.stringify(probe.body)).toLocaleString('en-US');
      const list = probe.body.pagination
        ? `${probe.body.resources.length} of ${probe.body.pagination.total_results.toLocaleString('en-US')}, `
        : '';
      const alone = summary(await sequentialGets(shape.api, shape.path, ALONE_SAMPLES));
      results.push({
        shape,
        alone: alone.p50,
        result: await load(`${taskd.url}${shape.path}`, shape.api.token, loadOpts),
        note: `${list}${bytes} B`,
      });
    }
    // The bare route again at the end: its mean is the baseline, so drift over the run shows.
    bareRuns.push(await load(`${bare.url}/v3/tasks`, undefined, loadOpts));
  } finally {
    await bare.stop();
  }
  const bareRps = bareRuns.reduce((n, r) => n + r.rps, 0) / bareRuns.length;
  const row = (name: string, r: LoadResult | undefined, alone: number | undefined, note: string) => [
    name,
    alone === undefined ? '-' : ms(alone),
    r ? rate(r.rps) : '-',
    r ? ms(r.p50) : '-',
    r ? ms(r.p99) : '-',
    r ? ratio(r.rps / bareRps) : '-',
    r && r.non2xx + r.errors ? `${r.non2xx} non-2xx, ${r.errors} errors` : '',
    note,
  ];
  console.log(
    table(
      ['shape', 'alone p50', 'req/s', 'p50', 'p99', 'vs bare', 'failures', 'response'],
      [
        ...bareRuns.map((r, i) =>
          row(
            `bare Fastify route (${i === 0 ? 'before' : 'after'})`,
            r,
            i === 0 ? bareAlone : undefined,
            `fixed page, ${bareBytes.toLocaleString('en-US')} B`,
          ),
        ),
        ...results.map((x) => row(x.shape.name, x.result, x.alone, x.note)),
      ],
    ),
  );
  console.log(
    `baseline: bare route ${rate(bareRps)} req/s (mean of the two runs); "vs bare" = shape req/s / baseline; req/s counts 2xx only;\n` +
      `p50/p99 under load (autocannon, whole milliseconds); "alone p50": ${ALONE_SAMPLES} requests one at a time (fetch), before the load.`,
  );
  for (const x of results) {
    if (x.shape.kind === 'diagnostic') continue;
    if (x.shape.kind === 'first-page') {
      const r = x.result;
      const met = r ? r.rps >= bareRps / 2 && r.p99 <= 5 * r.p50 : undefined;
      console.log(
        target(
          `${x.shape.name}: >= 0.5x bare req/s, p99 <= 5x p50`,
          met,
          r ? `${ratio(r.rps / bareRps)}, p99 ${ratio(r.p99 / r.p50)} p50` : x.note,
        ),
      );
    } else {
      const met = x.result ? x.result.p50 <= 50 : undefined;
      console.log(target(`${x.shape.name}: p50 <= 50 ms`, met, x.result ? `p50 ${ms(x.result.p50)}` : x.note));
    }
  }
}

async function latency(opts: Options, seed: SeedInfo, admin: Api, watcher: TaskWatcher, sandboxed: boolean) {
  const n = opts.latencySamples;
  section(`Create-to-started latency: ${n} sequential creates of \`true\``);
  console.log(
    [
      "method: the client reads the wall clock just before it sends POST /v3/apps/:guid/tasks; the task's started_at and",
      'finished_at (milliseconds, same host clock) are read from the store through a read-only connection once the task',
      'ended. Each create waits for its task to end before the next. taskd writes started_at when its runner claims the',
      'task, before it copies the droplet into a working directory and spawns the process; so a second series of',
      `${n} creates runs \`date +%s%N\`, whose own output says when the task's process was really running.`,
      `memory_in_mb ${TASK_MEMORY_MB}. Baselines, ${n} each, from a small plain-Node process (bench/bare-spawn.mjs; fork costs grow`,
      "with the parent's memory and taskd too spawns from a small helper): spawn('true') to its 'spawn' event and to its",
      "exit; spawn('/bin/sh', ['-c', 'date +%s%N']) to the time it printed; and the sandbox alone: bwrap with the options",
      "taskd gives a task (its namespaces, mounts, seccomp filter), running `sh -c 'date +%s%N'`, to the time it printed.",
      'A sandboxed task cannot start before its sandbox: the target compares it with the last.',
    ].join('\n'),
  );
  const bare = await bareLatencies(n);
  const bareSelf = summary(bare.selfReport);
  const sandboxSelf = sandboxed ? summary((await bareLatencies(n, true)).selfReport) : undefined;
  const inProcess = summary(await inProcessSpawnLatencies(n));
  const bareSpawn = summary(bare.toSpawn);
  const bareExit = summary(bare.toExit);
  let appGuid: string;
  try {
    const space = await admin.space(seed.orgGuid, `bench-latency-${Date.now()}`);
    appGuid = await admin.appWithDroplet(space, 'latency');
  } catch (err) {
    console.log(`not measurable: could not prepare an app with a staged droplet: ${(err as Error).message}`);
    console.log(target('create-to-started p50 <= bare spawn p50 + 5 ms', undefined, 'app setup failed'));
    return;
  }
  const trueSeries = await sequentialCreates(admin, watcher, appGuid, n, 'true', false);
  const dateSeries = trueSeries.error ? undefined : await sequentialCreates(admin, watcher, appGuid, n, 'date +%s%N', true);
  const of = (pick: (s: Sample) => number | undefined) =>
    summary(trueSeries.samples.flatMap((s) => (pick(s) === undefined ? [] : [pick(s)!])));
  const started = of((s) => (s.startedAt === undefined ? undefined : s.startedAt - s.sent));
  const finished = of((s) => (s.finishedAt === undefined ? undefined : s.finishedAt - s.sent));
  const response = of((s) => s.responded - s.sent);
  const running = summary(dateSeries ? selfReported(dateSeries) : []);
  const row = (name: string, x: { p50: number; p99: number; n: number }) => [name, ms(x.p50), ms(x.p99), String(x.n)];
  console.log(
    table(
      ['measure', 'p50', 'p99', 'samples'],
      [
        row("bare: spawn('true') -> 'spawn' event", bareSpawn),
        row('taskd: create -> started_at (claimed)', started),
        row('taskd: create -> 202 response', response),
        row("bare: spawn sh -c 'date +%s%N' -> printed time", bareSelf),
        ...(sandboxSelf ? [row("bare bwrap (a task's options): sh -c 'date +%s%N' -> printed time", sandboxSelf)] : []),
        row('taskd: create `date +%s%N` -> printed time', running),
        row("bare: spawn('true') -> exit", bareExit),
        row('taskd: create -> finished_at (SUCCEEDED)', finished),
      ],
    ),
  );
  console.log(
    `for reference: spawn('true') -> 'spawn' from the bench process itself (RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB): p50 ${ms(inProcess.p50)}, p99 ${ms(inProcess.p99)}`,
  );
  const states = (x?: Series) =>
    x
      ? Object.entries(x.createStates)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || '-'
      : '-';
  console.log(
    `create responses showed: ${states(trueSeries)} (true), ${states(dateSeries)} (date); tasks FAILED: ${trueSeries.failed + (dateSeries?.failed ?? 0)}`,
  );
  for (const e of [trueSeries.error, dateSeries?.error]) if (e) console.log(`stopped early: ${e}`);
  // The floor: the sandbox's own start where tasks are sandboxed, a plain spawn where not.
  const floor = sandboxSelf ?? bareSelf;
  const floorName = sandboxSelf ? 'bare bwrap' : 'bare spawn';
  if (running.n) {
    console.log(
      `by the process's own clock taskd starts \`date\` ${ms(running.p50 - bareSelf.p50)} (p50) after a bare spawn would` +
        (sandboxSelf ? `, ${ms(running.p50 - sandboxSelf.p50)} after the bare sandbox would` : '') +
        `; started_at (the claim) precedes the spawn.`,
    );
  }
  console.log(
    target(
      `create -> process running (its own clock), tiny droplet${sandboxSelf ? ', sandboxed' : ''}: p50 <= ${floorName} + 5 ms`,
      running.n ? running.p50 <= floor.p50 + 5 : undefined,
      running.n ? `${ms(running.p50)} vs ${ms(floor.p50)} + 5 ms` : (dateSeries?.error ?? trueSeries.error ?? 'no samples'),
    ),
  );
}

/** The droplet sizes of the start-cost series: tiny, then about 10 MB and 80 MB of 4 KB files. */
const DROPLET_SIZES = [
  { name: 'tiny (1 file)', files: 0 },
  { name: '10 MB (2,500 files)', files: 2_500 },
  { name: '80 MB (20,000 files)', files: 20_000 },
];

async function dropletSizes(opts: Options, seed: SeedInfo, admin: Api, watcher: TaskWatcher) {
  const n = opts.quick ? 10 : 30;
  section(`Create-to-running by droplet size: ${n} sequential creates of \`date +%s%N\` per size`);
  console.log(
    [
      "method: as the latency series (the client's clock before POST /v3/apps/:guid/tasks, the task's own printed time),",
      'on one app per size whose droplet holds that many 4 KB files under app/lib (bench/api.ts bundleOf). The',
      'baseline is the tiny droplet in the same run; the target is the large one within 1.2x of it.',
    ].join('\n'),
  );
  const rows: string[][] = [];
  const p50s: number[] = [];
  for (const size of DROPLET_SIZES) {
    let appGuid: string;
    try {
      const space = await admin.space(seed.orgGuid, `bench-droplets-${Date.now()}`);
      appGuid = await admin.appWithDroplet(space, `droplet-${size.files}`, await bundleOf(size.files, 4096));
    } catch (err) {
      console.log(`not measurable: could not stage the ${size.name} droplet: ${(err as Error).message}`);
      break;
    }
    const series = await sequentialCreates(admin, watcher, appGuid, n, 'date +%s%N', true);
    const running = summary(selfReported(series));
    p50s.push(running.p50);
    rows.push([size.name, ms(running.p50), ms(running.p99), String(running.n), ratio(running.p50 / p50s[0])]);
    if (series.error) console.log(`stopped early (${size.name}): ${series.error}`);
  }
  console.log(table(['droplet', 'p50', 'p99', 'samples', 'p50 vs tiny'], rows));
  const large = p50s.length === DROPLET_SIZES.length ? p50s[p50s.length - 1] : undefined;
  console.log(
    target(
      '80 MB droplet create-to-running p50 <= 1.2x the tiny one',
      large === undefined ? undefined : large <= 1.2 * p50s[0],
      large === undefined ? 'not every size was measured' : `${ms(large)} vs ${ms(p50s[0])}`,
    ),
  );
}

async function throughput(opts: Options, seed: SeedInfo, admin: Api, watcher: TaskWatcher, sandboxed: boolean) {
  const total = opts.throughputTasks;
  const c = opts.concurrency;
  const how = sandboxed ? 'sandboxed' : 'unsandboxed';
  const floorName = sandboxed ? `bare bwrap loop (${c} concurrent)` : `bare spawn loop (${c} concurrent)`;
  const share = sandboxed ? 0.7 : 0.8;
  section(
    `End-to-end throughput, ${how}: ${total.toLocaleString('en-US')} \`true\` tasks created at concurrency ${c} until all have ended`,
  );
  console.log(
    `method: ${c} clients, each creating tasks in a loop on its own fresh app, until ${total.toLocaleString('en-US')} are created; the clock\n` +
      'runs from the first create until the store shows every one SUCCEEDED or FAILED (polled every 20 ms); tasks/s counts\n' +
      `SUCCEEDED ones. Baseline: ${c} loops in a small plain-Node process (bench/bare-spawn.mjs) running \`true\` until\n` +
      `${total.toLocaleString('en-US')} have exited, ${sandboxed ? "each its shell in bwrap with a task's options" : 'each spawned plainly'}. taskd runner slots: ${opts.slots}.`,
  );
  const baseline = (await bareThroughput(total, c, sandboxed)).perSecond;
  let apps: string[];
  try {
    const space = await admin.space(seed.orgGuid, `bench-throughput-${Date.now()}`);
    apps = [];
    for (let i = 0; i < c; i++) apps.push(await admin.appWithDroplet(space, `throughput-${i + 1}`));
  } catch (err) {
    console.log(`not measurable: could not prepare apps with staged droplets: ${(err as Error).message}`);
    console.log(target(`end-to-end throughput, ${how}: >= ${share}x the ${floorName}`, undefined, 'app setup failed'));
    return;
  }
  const r = await endToEnd(admin, watcher, apps, total, opts.quick ? 120 : 600);
  console.log(
    table(
      ['measure', 'per second', 'vs bare'],
      [
        [floorName, rate(baseline), ''],
        ['taskd end-to-end (SUCCEEDED/s)', rate(r.tasksPerSecond), ratio(r.tasksPerSecond / baseline)],
        ['taskd creates accepted (202/s)', rate(r.createsPerSecond), ''],
      ],
    ),
  );
  console.log(
    `took ${r.seconds.toFixed(1)} s; final states: ${
      Object.entries(r.states)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || '-'
    }`,
  );
  if (r.error) console.log(`problem: ${r.error}`);
  const met = r.states.SUCCEEDED ? r.tasksPerSecond >= share * baseline : undefined;
  console.log(
    target(
      `end-to-end throughput, ${how}: >= ${share}x the ${floorName}`,
      met,
      r.states.SUCCEEDED ? `${ratio(r.tasksPerSecond / baseline)}` : (r.error ?? 'no task succeeded'),
    ),
  );
}

// Explicit exits: the 'exit' hook in processes.ts then kills any server left and removes the run's files.
main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
