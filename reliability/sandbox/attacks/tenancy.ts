// Reaching past the task's own tenancy: its TASKD_TASK_TOKEN used for what it does not open, another
// task's IPC and folder, the host's loopback and abstract sockets from a network-isolated task,
// signals to the host's processes and to everything the task can see, and processes that try to
// outlive their task (timeouts, ignored SIGTERM, daemons).
import {
  type Attack,
  ending,
  excerpt,
  judge,
  lineStarting,
  linesMatching,
  missingTools,
  notContained,
  skipped,
  sleepMs,
} from '../attack.js';
import { describePids, HOST_PID_NAMESPACE, hostIpcKeys, taskProcesses, waitForTaskGone, waitForTaskProcesses } from '../host.js';
import { GRACE_SECONDS, type SandboxWorld } from '../tenant.js';

/** A task of the plain app making `calls` with its own token; each must be answered with one of `allowed`. */
async function tokenAttack(
  world: SandboxWorld,
  calls: { method: string; path: string; body?: unknown; anonymous?: boolean }[],
  allowed: number[],
) {
  const why = missingTools('python3');
  if (why) return skipped(why);
  const base = `http://127.0.0.1:${world.port}`;
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = calls.map(
    (c) =>
      `python3 probe.py http ${c.method} ${base}${c.path} ${c.anonymous ? "''" : '"$TASKD_TASK_TOKEN"'}${c.body === undefined ? '' : ` ${quote(JSON.stringify(c.body))}`} 2>&1`,
  );
  const run = await world.run(
    world.apps.plain,
    `[ -n "$TASKD_TASK_TOKEN" ] && echo "token present" || echo "token absent"; ${lines.join('; ')}`,
  );
  if (lineStarting(run.output, 'token absent') && calls.some((c) => !c.anonymous))
    return skipped('the task gets no TASKD_TASK_TOKEN to misuse');
  const problems: string[] = [];
  const seen: string[] = [];
  for (const c of calls) {
    const line = lineStarting(run.output, `http ${c.method} ${base}${c.path} `);
    const status = Number(/status=(\d+)/.exec(line ?? '')?.[1] ?? NaN);
    seen.push(`${c.method} ${c.path}${c.anonymous ? ' (no token)' : ''} → ${Number.isNaN(status) ? (line ?? 'no result') : status}`);
    if (!allowed.includes(status)) problems.push(`${c.method} ${c.path} answered ${Number.isNaN(status) ? (line ?? 'nothing') : status}`);
  }
  return judge(problems, seen.join(', '));
}

const tokenReads: Attack = {
  id: 'token-read-others',
  title: "the task's token lists all tasks and reads another org's task and app",
  covers: 'token misuse; §1.2',
  run: ({ world }) =>
    tokenAttack(
      world,
      [
        { method: 'GET', path: '/v3/tasks' },
        { method: 'GET', path: `/v3/tasks/${world.victim.task}` },
        { method: 'GET', path: `/v3/apps/${world.victim.app}/tasks` },
        { method: 'GET', path: `/v3/organizations/${world.victim.org}` },
      ],
      [403],
    ),
};

const tokenCreates: Attack = {
  id: 'token-create-elsewhere',
  title: "the task's token creates tasks in another org's app and in a sibling app",
  covers: 'token misuse',
  async run({ world }) {
    const verdict = await tokenAttack(
      world,
      [
        { method: 'POST', path: `/v3/apps/${world.victim.app}/tasks`, body: { command: 'echo planted' } },
        { method: 'POST', path: `/v3/apps/${world.apps.loaders}/tasks`, body: { command: 'echo planted' } },
      ],
      [403],
    );
    const victims = await world.call('GET', `/v3/apps/${world.victim.app}/tasks`, world.victimToken);
    if (victims.status === 200 && victims.body.pagination?.total_results !== 1)
      return notContained(`the victim app now has ${victims.body.pagination.total_results} tasks | ${verdict.seen}`);
    return verdict;
  },
};

const tokenAdmin: Attack = {
  id: 'token-admin-endpoints',
  title: "the task's token calls admin endpoints (users, orgs, roles, audit events, feature flags)",
  covers: 'token misuse',
  quick: true,
  run: ({ world }) =>
    tokenAttack(
      world,
      [
        { method: 'GET', path: '/v3/users' },
        { method: 'POST', path: '/v3/users', body: { username: 'planted', password: 'planted-password' } },
        { method: 'POST', path: '/v3/organizations', body: { name: 'planted' } },
        { method: 'GET', path: '/v3/audit_events' },
        { method: 'PATCH', path: '/v3/feature_flags/diego_docker', body: { enabled: true } },
      ],
      [403],
    ),
};

const tokenMetrics: Attack = {
  id: 'metrics-from-task',
  title: '/metrics from inside a task, with its token and without',
  covers: 'token misuse; issue "/metrics is not open to every task"',
  run: ({ world }) =>
    tokenAttack(
      world,
      [
        { method: 'GET', path: '/metrics' },
        { method: 'GET', path: '/metrics', anonymous: true },
      ],
      [401, 403, 404],
    ),
};

const sysvIpc: Attack = {
  id: 'sysv-ipc',
  title: 'a shared memory segment and a message queue of one task, looked for from a second task and the host',
  covers: '§5.46',
  async run({ world }) {
    const why = missingTools('ipcmk', 'ipcs');
    if (why) return skipped(why);
    const list = `ipcs -m | awk '$1 ~ /^0x/ {print "shm key", $1}'; ipcs -q | awk '$1 ~ /^0x/ {print "msg key", $1}'`;
    const owner = await world.createTask(
      world.apps.plain,
      `ipcmk -M 4096 >/dev/null 2>&1; ipcmk -Q >/dev/null 2>&1; ${list}; echo listed; sleep 60`,
    );
    if (owner.status !== 202) return notContained(`create refused: ${owner.status}`);
    try {
      let made = '';
      const deadline = Date.now() + 20_000;
      while (!lineStarting(made, 'listed') && Date.now() < deadline) {
        await sleepMs(200);
        made = await world.output(owner.body.guid);
      }
      const keys = linesMatching(made, /^(shm|msg) key 0x/).map((l) => l.split(' ')[2]!);
      if (keys.length < 2) return notContained(`the first task did not make its segment and queue: ${excerpt(made, 200)}`);
      const other = await world.run(world.apps.plain, `${list}; echo listed`);
      const host = new Set([...hostIpcKeys('shm'), ...hostIpcKeys('msg')]);
      const problems: string[] = [];
      const seenByOther = keys.filter((k) => other.output.includes(k));
      if (seenByOther.length) problems.push(`the second task sees ${seenByOther.join(', ')}`);
      if (!lineStarting(other.output, 'listed')) problems.push(`the second task did not list (${ending(other)})`);
      const onHost = keys.filter((k) => host.has(Number.parseInt(k, 16) | 0));
      if (onHost.length) problems.push(`the host's IPC namespace holds ${onHost.join(', ')}`);
      return judge(
        problems,
        `first task made ${keys.join(', ')}; second task lists ${linesMatching(other.output, /key/).length} objects; host holds ${onHost.length} of them`,
      );
    } finally {
      await world.cancel(owner.body.guid);
    }
  },
};

const otherFolder: Attack = {
  id: 'other-task-folder',
  title: "another org's running task folder, by its host path",
  covers: '§5.45; §1.2',
  async run({ world }) {
    const paths = [`${world.dataDir}/tasks/${world.victim.task}`, `${world.dataDir}/tasks`, world.dataDir];
    const run = await world.run(world.apps.plain, `for p in ${paths.join(' ')}; do ls -d "$p" 2>&1; done; echo done`);
    const missing = linesMatching(run.output, /No such file or directory/).length;
    const problems = missing === paths.length ? [] : [`reachable: ${excerpt(run.output, 300)}`];
    return judge(problems, `${missing}/${paths.length} paths "No such file or directory"`);
  },
};

const networkOff: Attack = {
  id: 'network-off',
  title: 'an app annotated taskd.io/task-network: off lists its interfaces and calls taskd on 127.0.0.1',
  covers: '§5.40; P14',
  async run({ world }) {
    const why = missingTools('python3');
    if (why) return skipped(why);
    // Only loopback is tried: were the isolation broken, nothing leaves the host.
    const url = `http://127.0.0.1:${world.port}/healthz`;
    const run = await world.run(
      world.apps.offline,
      `awk 'NR > 2 {print "iface", $1}' /proc/net/dev; python3 probe.py http GET ${url} 2>&1`,
    );
    const ifaces = linesMatching(run.output, /^iface /);
    const problems: string[] = [];
    if (ifaces.length !== 1 || ifaces[0] !== 'iface lo:') problems.push(`interfaces: ${ifaces.join(' ') || 'none listed'}`);
    const line = lineStarting(run.output, `http GET ${url} `);
    if (!line || !line.includes(' error=')) problems.push(`taskd's port: ${line ?? 'no result'}`);
    return judge(problems, `${ifaces.join(' ')}; taskd's port: ${line?.split(' ').pop() ?? '?'}`);
  },
};

const abstractSocket: Attack = {
  id: 'abstract-unix-socket',
  title: 'connect to an abstract unix socket of the host from a task with network off',
  covers: '§5.42; P14',
  async run({ world, abstractSocket }) {
    const why = missingTools('python3');
    if (why) return skipped(why);
    const before = abstractSocket.connections;
    const run = await world.run(world.apps.offline, `python3 probe.py abstract ${abstractSocket.name} 2>&1`);
    const line = lineStarting(run.output, `abstract-connect ${abstractSocket.name} `);
    const problems: string[] = [];
    if (abstractSocket.connections > before) problems.push('the host listener was reached');
    if (!line?.includes('errno=111')) problems.push(`expected ECONNREFUSED, saw ${line ?? 'no result'}`);
    return judge(problems, line ?? excerpt(run.output, 100));
  },
};

/** Refuses, inside, to signal everything when the task shares the host's pid namespace. */
const pidNamespaceGuard = () =>
  `[ "$(readlink /proc/self/ns/pid)" = "${HOST_PID_NAMESPACE}" ] && { echo "refusing: the task shares the host's pid namespace"; exit 3; }`;

const killEverything: Attack = {
  id: 'kill-everything',
  title: 'kill -STOP -1, kill -9 1, kill -9 -1 inside',
  covers: '§5.18; signals to taskd',
  async run({ world, sentinels }) {
    const supervisor = world.supervisorPid();
    const harmed = new Set<string>();
    const timer = setInterval(() => sentinels.harmed().forEach((h) => harmed.add(h)), 100);
    let run;
    try {
      run = await world.run(
        world.apps.plain,
        `${pidNamespaceGuard()}; kill -STOP -1 2>&1; sleep 1; kill -CONT -1 2>&1; kill -9 1 2>&1; kill -9 -1 2>&1; echo "after kill -9 -1"`,
        {},
        30_000,
      );
    } finally {
      clearInterval(timer);
    }
    const problems: string[] = [...harmed];
    if (lineStarting(run.output, 'refusing:')) problems.push(lineStarting(run.output, 'refusing:')!);
    if (!world.taskdAlive) problems.push('taskd died');
    if (supervisor !== undefined && world.supervisorPid() !== supervisor) problems.push(`the task supervisor ${supervisor} is gone`);
    if (!run.ended) problems.push('taskd never saw the task end');
    return judge(problems, `host sentinels ${harmed.size ? 'harmed' : 'untouched'}, taskd and its supervisor alive; ${ending(run)}`);
  },
};

const hostPids: Attack = {
  id: 'host-pids',
  title: "kill -9 and /proc of taskd's, the supervisor's and two host processes' pids",
  covers: '§5.21; signals to taskd',
  async run({ world, sentinels }) {
    const supervisor = world.supervisorPid();
    const targets = [world.taskdPid, ...(supervisor === undefined ? [] : [supervisor]), ...sentinels.pids];
    const run = await world.run(
      world.apps.plain,
      `for p in ${targets.join(' ')}; do kill -9 $p 2>&1 || true; [ -e /proc/$p ] && echo "/proc/$p visible" || echo "/proc/$p invisible"; done; echo "pids visible=$(ls -d /proc/[0-9]* | wc -l)"`,
    );
    const problems: string[] = [...sentinels.harmed()];
    const noSuch = linesMatching(run.output, /No such process/).length;
    if (noSuch !== targets.length) problems.push(`"No such process" ${noSuch} times for ${targets.length} kills`);
    const visible = linesMatching(run.output, /^\/proc\/\d+ visible/);
    if (visible.length) problems.push(visible.join(', '));
    const count = Number(lineStarting(run.output, 'pids visible=')?.slice(13) ?? NaN);
    if (!(count <= 10)) problems.push(`${lineStarting(run.output, 'pids visible=') ?? 'no count'}: more than the task's own`);
    if (!world.taskdAlive) problems.push('taskd died');
    if (supervisor !== undefined && world.supervisorPid() !== supervisor) problems.push('the task supervisor died');
    return judge(
      problems,
      `${noSuch}/${targets.length} No such process, ${targets.length - visible.length}/${targets.length} invisible in /proc, ${count} pids visible`,
    );
  },
};

const TIMEOUT_SECONDS = 2;

const timeout: Attack = {
  id: 'timeout',
  title: `sleep 60 with timeout_in_seconds ${TIMEOUT_SECONDS}`,
  covers: '§5.49',
  async run({ world }) {
    const run = await world.run(world.apps.plain, 'sleep 60', { timeout_in_seconds: TIMEOUT_SECONDS }, 30_000);
    const left = await waitForTaskGone(run.guid, 5000);
    const problems: string[] = [];
    if (run.failureReason !== `Task timed out after ${TIMEOUT_SECONDS} seconds`) problems.push(`ended ${ending(run)}`);
    if (run.ms > (TIMEOUT_SECONDS + GRACE_SECONDS + 8) * 1000) problems.push(`took ${(run.ms / 1000).toFixed(1)} s`);
    if (left.length) problems.push(`left behind: ${describePids(left)}`);
    return judge(problems, `${ending(run)} after ${(run.ms / 1000).toFixed(1)} s, nothing left`);
  },
};

const ignoresTerm: Attack = {
  id: 'cancel-ignoring-sigterm',
  title: 'cancel a task whose shell and a setsid child ignore SIGTERM and SIGHUP',
  covers: '§5.37; P13',
  async run({ world }) {
    const res = await world.createTask(
      world.apps.plain,
      `trap '' TERM HUP INT; setsid sh -c "trap '' TERM HUP; while :; do sleep 1; done" & while :; do sleep 1; done`,
    );
    if (res.status !== 202) return notContained(`create refused: ${res.status}`);
    const guid = res.body.guid as string;
    const procs = await waitForTaskProcesses(guid, 20_000, (ps) => ps.filter((p) => p.comm === 'sh').length >= 2);
    if (!procs.length) {
      await world.cancel(guid);
      return notContained(`the task's processes never showed up (${describePids(taskProcesses(guid))})`);
    }
    const cancelledAt = performance.now();
    const cancel = await world.cancel(guid);
    const run = await world.finish(guid, cancelledAt, (GRACE_SECONDS + 15) * 1000);
    const left = await waitForTaskGone(guid, 5000);
    const problems: string[] = [];
    if (cancel.status !== 202) problems.push(`cancel answered ${cancel.status}`);
    if (run.failureReason !== 'task was cancelled') problems.push(`ended ${ending(run)}`);
    if (run.ms > (GRACE_SECONDS + 8) * 1000)
      problems.push(`took ${(run.ms / 1000).toFixed(1)} s after the cancel (grace ${GRACE_SECONDS} s)`);
    if (left.length) problems.push(`left behind: ${describePids(left)}`);
    return judge(problems, `${ending(run)} ${(run.ms / 1000).toFixed(1)} s after the cancel, nothing left`);
  },
};

const daemon: Attack = {
  id: 'daemon-outlives-task',
  title: 'setsid nohup … & disown, and a double-forked sleep, then the task ends',
  covers: '§5.36; P13',
  async run({ world }) {
    const why = missingTools('bash', 'setsid', 'nohup');
    if (why) return skipped(why);
    const run = await world.run(
      world.apps.plain,
      `bash -c 'setsid nohup sleep 1000 >/dev/null 2>&1 & disown; (setsid sh -c "sleep 1000 &" &); sleep 0.5; echo spawned'`,
    );
    const left = await waitForTaskGone(run.guid, 5000);
    const problems: string[] = [];
    if (!lineStarting(run.output, 'spawned')) problems.push(`the daemons were not started (${excerpt(run.output, 150)})`);
    if (left.length) problems.push(`still running 5 s after the task ended: ${describePids(left)}`);
    return judge(problems, `${ending(run)}; left on the host: ${describePids(left)}`);
  },
};

export const tenancyAttacks: Attack[] = [
  tokenReads,
  tokenCreates,
  tokenAdmin,
  tokenMetrics,
  sysvIpc,
  otherFolder,
  networkOff,
  abstractSocket,
  killEverything,
  hostPids,
  timeout,
  ignoresTerm,
  daemon,
];
