// Who the task is and what it carries: its uid inside and on the host, its capabilities, what
// setuid binaries and file capabilities give it, whose environment it can read, where the
// tenant's variables end up (only the task's own shell), whether a command or a variable can
// pose as sandbox options, and whether the host's secrets and system files are within reach.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { type Attack, ending, excerpt, judge, lineStarting, linesMatching, missingTools, notContained, skipped } from '../attack.js';
import { describePids, processesWithCmdline, processesWithEnvEntry, statInTask, taskProcesses, waitForTaskProcesses } from '../host.js';
import { TASK_UID, TASK_USER } from '../tenant.js';

const uid: Attack = {
  id: 'uid',
  title: 'id inside the task',
  covers: 'P1; issue "id inside a task agrees with the API"',
  quick: true,
  async run({ world }) {
    const run = await world.run(world.apps.plain, 'id -u; id -un; id -g; id');
    const [u, name, g, all] = run.output.split('\n');
    const problems: string[] = [];
    if (u !== String(TASK_UID)) problems.push(`id -u is ${u}, expected ${TASK_UID}`);
    if (name !== TASK_USER) problems.push(`id -un is ${name}, expected ${TASK_USER}`);
    if (g !== String(TASK_UID)) problems.push(`id -g is ${g}, expected ${TASK_UID}`);
    return judge(problems, all ?? excerpt(run.output));
  },
};

const fileOwner: Attack = {
  id: 'file-owner',
  title: 'files the task creates in /home/vcap/app, as the host sees them',
  covers: 'P1; §5.50',
  async run({ world }) {
    const res = await world.createTask(world.apps.plain, 'touch /home/vcap/app/owned-probe && echo touched; sleep 60');
    if (res.status !== 202) return notContained(`create refused: ${res.status}`);
    const guid = res.body.guid as string;
    try {
      let owner: { uid: number; gid: number } | undefined;
      await waitForTaskProcesses(guid, 20_000, (ps) => {
        for (const p of ps) owner ??= statInTask(p.pid, '/home/vcap/app/owned-probe');
        return owner !== undefined;
      });
      if (!owner) return notContained(`the file never appeared (${describePids(taskProcesses(guid))})`);
      const problems: string[] = [];
      if (owner.uid !== TASK_UID || owner.gid !== TASK_UID)
        problems.push(`owned by ${owner.uid}:${owner.gid} on the host, expected ${TASK_UID}:${TASK_UID}`);
      return judge(problems, `host owner ${owner.uid}:${owner.gid}`);
    } finally {
      await world.cancel(guid);
    }
  },
};

const ZERO = '0000000000000000';

const capabilities: Attack = {
  id: 'capabilities',
  title: 'capability sets and NoNewPrivs in /proc/self/status',
  covers: '§5.15; P5',
  quick: true,
  async run({ world }) {
    const run = await world.run(world.apps.plain, `grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status`);
    const problems: string[] = [];
    const seen: string[] = [];
    for (const field of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) {
      const value = lineStarting(run.output, `${field}:`)?.split(/\s+/)[1];
      seen.push(`${field} ${value}`);
      if (value !== ZERO) problems.push(`${field} ${value ?? 'missing'}`);
    }
    const nnp = lineStarting(run.output, 'NoNewPrivs:')?.split(/\s+/)[1];
    seen.push(`NoNewPrivs ${nnp}`);
    if (nnp !== '1') problems.push(`NoNewPrivs ${nnp ?? 'missing'}`);
    return judge(problems, seen.join(', '));
  },
};

const setuidBinaries: Attack = {
  id: 'setuid-binaries',
  title: 'su root, mount, passwd -d root (setuid-root binaries)',
  covers: '§5.13; P5',
  async run({ world }) {
    const why = missingTools('su', 'mount', 'passwd');
    if (why) return skipped(why);
    const run = await world.run(
      world.apps.plain,
      [
        `su -s /bin/sh root -c 'echo "su gained uid=$(id -u)"' </dev/null 2>&1; echo "su exit=$?"`,
        `mkdir -p /tmp/mnt; mount -t tmpfs none /tmp/mnt 2>&1; echo "mount exit=$?"`,
        `passwd -d root </dev/null 2>&1; echo "passwd exit=$?"`,
        `echo "tmp/mnt mounts=$(grep -c ' /tmp/mnt ' /proc/self/mountinfo)"`,
      ].join('; '),
    );
    const problems: string[] = [];
    const exits = ['su', 'mount', 'passwd'].map((b) => lineStarting(run.output, `${b} exit=`) ?? `${b} exit=?`);
    for (const e of exits) if (e.endsWith('=0')) problems.push(`${e.split(' ')[0]} succeeded`);
    const gained = lineStarting(run.output, 'su gained');
    if (gained) problems.push(gained);
    if (lineStarting(run.output, 'tmp/mnt mounts=') !== 'tmp/mnt mounts=0')
      problems.push(`a tmpfs got mounted (${lineStarting(run.output, 'tmp/mnt mounts=')})`);
    return judge(problems, exits.join(', '));
  },
};

const fileCapabilities: Attack = {
  id: 'file-capabilities',
  title: 'setcap cap_setuid,cap_sys_admin+ep on a copied binary, then run it',
  covers: '§5.14; P5',
  async run({ world }) {
    if (!existsSync('/usr/sbin/setcap') || !existsSync('/usr/sbin/getcap'))
      return skipped('setcap/getcap (libcap2-bin) not installed on this host');
    const run = await world.run(
      world.apps.plain,
      `cp /usr/bin/id /tmp/id2; /usr/sbin/setcap cap_setuid,cap_sys_admin+ep /tmp/id2 2>&1; echo "setcap exit=$?"; echo "getcap:$(/usr/sbin/getcap /tmp/id2)"; echo "copied id -u: $(/tmp/id2 -u)"`,
    );
    const problems: string[] = [];
    if (lineStarting(run.output, 'setcap exit=') === 'setcap exit=0') problems.push('setcap succeeded');
    if (!linesMatching(run.output, /Operation not permitted/).length) problems.push('setcap did not fail with "Operation not permitted"');
    const caps = lineStarting(run.output, 'getcap:');
    if (caps !== 'getcap:') problems.push(`the copy has capabilities: ${caps}`);
    const ran = lineStarting(run.output, 'copied id -u:');
    if (ran !== `copied id -u: ${TASK_UID}`) problems.push(`the copy ran as ${ran?.slice(14) ?? '?'}, expected ${TASK_UID}`);
    return judge(problems, `${lineStarting(run.output, 'setcap exit=')}, ${caps}, ${ran}`);
  },
};

/** Splits the output of the environ dump into pid → entries. */
function environs(output: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split('\n')) {
    const head = /^== \/proc\/(\d+)$/.exec(line);
    if (head) out.set(head[1]!, (current = []));
    else current?.push(line);
  }
  return out;
}

const procEnviron: Attack = {
  id: 'proc-environ',
  title: "tr '\\0' '\\n' </proc/1/environ, and every /proc/*/environ the task can read",
  covers: '§5.51; P4',
  quick: true,
  async run({ world, tenantMark }) {
    const run = await world.run(world.apps.plain, `for p in /proc/[0-9]*; do echo "== $p"; tr '\\0' '\\n' < $p/environ 2>/dev/null; done`);
    const all = environs(run.output);
    const problems: string[] = [];
    if (run.output.includes(world.canary)) problems.push("taskd's own environment (a canary variable) is readable");
    if (run.output.includes(world.adminPassword)) problems.push("taskd's admin password is readable");
    const init = all.get('1');
    if (!init) problems.push('/proc/1/environ was not listed');
    else {
      const leaked = init.filter(
        (e) =>
          /^(TASKD_TASK_TOKEN|TENANT_MARK|TASKD_ADMIN_PASSWORD|TASKD_DATABASE_URL|SANDBOX_CAMPAIGN_CANARY)=/.test(e) ||
          e.includes(tenantMark),
      );
      if (leaked.length) problems.push(`pid 1 (outside the task's shell) carries ${leaked.map((e) => e.split('=')[0]).join(', ')}`);
    }
    return judge(
      problems,
      `pid 1 environment: ${
        (init ?? [])
          .map((e) => e.split('=')[0])
          .filter(Boolean)
          .join(' ') || 'empty'
      }; ${all.size} environments read`,
    );
  },
};

const hostEnvironment: Attack = {
  id: 'host-side-environment',
  title: "the tenant's variables on host-side processes (environ and command lines, seen from the host)",
  covers: 'P4; issue "every process taskd starts on the host starts with an environment taskd chose"',
  async run({ world, tenantMark }) {
    const res = await world.createTask(world.apps.plain, 'sleep 60');
    if (res.status !== 202) return notContained(`create refused: ${res.status}`);
    const guid = res.body.guid as string;
    try {
      const carriers = await waitForTaskProcesses(guid, 20_000, (ps) => ps.some((p) => !p.inHostPidNamespace && p.comm === 'sleep'));
      if (!carriers.length)
        return notContained(`the task's sleep never showed up in its own pid namespace (${describePids(taskProcesses(guid))})`);
      const withMark = processesWithEnvEntry(`TENANT_MARK=${tenantMark}`);
      const onHost = withMark.filter((p) => p.inHostPidNamespace);
      const inCmdline = processesWithCmdline(tenantMark);
      const problems: string[] = [];
      if (onHost.length) problems.push(`host-side processes carry the tenant's variables: ${describePids(onHost)}`);
      if (inCmdline.length) problems.push(`a tenant's value stands in a command line: ${describePids(inCmdline)}`);
      return judge(problems, `carriers of the tenant's variable: ${describePids(withMark)}`);
    } finally {
      await world.cancel(guid);
    }
  },
};

const loaderVariables: Attack = {
  id: 'loader-variables',
  title: 'app variables LD_AUDIT, GCONV_PATH, BASH_ENV, ENV, LD_LIBRARY_PATH, GLIBC_TUNABLES, PATH',
  covers: '§5.5; P4',
  async run({ world, droplet, marks }) {
    const why = missingTools('bash', 'iconv');
    if (why) return skipped(why);
    const run = await world.run(
      world.apps.loaders,
      `/usr/bin/iconv -f EVIL -t UTF-8 </dev/null 2>&1 | head -n 2; /bin/bash -c 'echo bash ran'; echo done`,
    );
    const problems: string[] = [];
    const marks_ = [...linesMatching(run.output, /^evil\.so loaded /), ...linesMatching(run.output, /^evil\.sh sourced /)];
    const asRoot = marks_.filter((l) => /\b(uid|euid)=0\b/.test(l));
    if (asRoot.length) problems.push(`tenant code ran as root: ${asRoot.slice(0, 2).join(' / ')}`);
    if (existsSync(marks.loaders))
      problems.push(
        `tenant code ran outside the sandbox: ${readFileSync(marks.loaders, 'utf8').trim().split('\n').slice(0, 2).join(' / ')}`,
      );
    if (!linesMatching(run.output, new RegExp(`^evil\\.sh sourced uid=${TASK_UID}$`)).length)
      problems.push(`BASH_ENV did not reach the task's own bash (no "evil.sh sourced uid=${TASK_UID}")`);
    if (!droplet.noLibrary && !linesMatching(run.output, new RegExp(`^evil\\.so loaded uid=${TASK_UID} euid=${TASK_UID} `)).length)
      problems.push(`LD_AUDIT did not reach the task's own processes (no load as uid ${TASK_UID})`);
    const summary = [...new Set(marks_.map((l) => l.replace(/ pid=\d+/, '')))].slice(0, 4).join(' / ');
    return judge(
      problems,
      `${summary || 'no loads'}; host mark ${existsSync(marks.loaders) ? 'written' : 'absent'}${droplet.noLibrary ? ` (LD_AUDIT and GCONV_PATH untried: ${droplet.noLibrary})` : ''}`,
    );
  },
};

const commandAsOptions: Attack = {
  id: 'command-as-bwrap-options',
  title: "task command `--bind / /hostroot --chdir /hostroot /bin/sh -c 'echo host root visible'`",
  covers: '§5.7; P4',
  async run({ world }) {
    const run = await world.run(
      world.apps.plain,
      `--bind / /hostroot --chdir /hostroot /bin/sh -c 'echo host root visible; ls /hostroot/root'`,
    );
    const problems: string[] = [];
    if (lineStarting(run.output, 'host root visible')) problems.push('the command was taken as sandbox options: the host root was bound');
    // The task's shell is what reads it: dash refuses a command string that starts with '-'
    // (exit 2), or runs `--bind` and finds no such command (exit 127).
    const refusedByShell =
      (linesMatching(run.output, /Illegal option --/).length && run.failureReason === 'Exited with status 2') ||
      (linesMatching(run.output, /--bind: not found/).length && run.failureReason === 'Exited with status 127');
    if (!refusedByShell)
      problems.push(
        `expected the task's shell to refuse it ("Illegal option --", status 2, or "--bind: not found", status 127), saw ${excerpt(run.output, 200)}, ${ending(run)}`,
      );
    return judge(problems, `${excerpt(run.output.split('\n')[0] ?? '', 100)}; ${ending(run)}`);
  },
};

const variablesAsOptions: Attack = {
  id: 'variables-as-bwrap-options',
  title: 'app variables holding newlines, `--setenv LD_PRELOAD …`, `=`, control bytes and 100 kB',
  covers: '§5.6; P4',
  async run({ world, injectionVariables }) {
    const answer = world.injectionAnswer;
    if (answer?.status === 422) return judge([], `refused at PATCH: 422 ${answer.body?.errors?.[0]?.detail ?? ''}`);
    const why = missingTools('python3');
    if (why) return skipped(why);
    if (answer?.status !== 200)
      return notContained(`PATCH environment_variables answered ${answer?.status}: ${answer?.text.slice(0, 200)}`);
    const names = Object.keys(injectionVariables);
    const run = await world.run(
      world.apps.injection,
      `python3 probe.py envsha ${names.join(' ')} 2>&1; echo "LD_PRELOAD=[$LD_PRELOAD]"; [ -e /hostroot ] && echo "hostroot present" || echo "hostroot absent"`,
    );
    const problems: string[] = [];
    for (const [name, value] of Object.entries(injectionVariables)) {
      const line = lineStarting(run.output, `sha ${name} `);
      const expected = createHash('sha256').update(value).digest('hex');
      if (line !== `sha ${name} ${expected}`) problems.push(`${name} did not arrive verbatim (${line ?? 'no answer'})`);
    }
    if (lineStarting(run.output, 'LD_PRELOAD=') !== 'LD_PRELOAD=[]')
      problems.push(`${lineStarting(run.output, 'LD_PRELOAD=')}: a value became a variable`);
    if (lineStarting(run.output, 'hostroot') !== 'hostroot absent') problems.push('a value became a bind mount (/hostroot present)');
    return judge(
      problems,
      `${names.length} variables verbatim, ${lineStarting(run.output, 'LD_PRELOAD=')}, ${lineStarting(run.output, 'hostroot')}`,
    );
  },
};

const SECRETS = [
  '/etc/shadow',
  '/etc/gshadow',
  '/etc/ssh/ssh_host_rsa_key',
  '/etc/ssh/ssh_host_ed25519_key',
  '/root/.ssh/id_rsa',
  '/root/.bash_history',
];

const hostSecrets: Attack = {
  id: 'host-secrets',
  title: `read ${SECRETS.join(', ')}`,
  covers: '§5.8; P7',
  async run({ world }) {
    const why = missingTools('python3');
    if (why) return skipped(why);
    const run = await world.run(world.apps.plain, `python3 probe.py read ${SECRETS.join(' ')} 2>&1`);
    const problems: string[] = [];
    const seen: string[] = [];
    for (const file of SECRETS) {
      const line = lineStarting(run.output, `read ${file} `);
      const bytes = /bytes=(\d+)/.exec(line ?? '')?.[1];
      seen.push(`${file} ${bytes !== undefined ? `${bytes} bytes` : (/\((\w+)\)/.exec(line ?? '')?.[1] ?? 'no result')}`);
      if (!line) problems.push(`${file}: no result`);
      else if (bytes !== undefined && bytes !== '0') problems.push(`${file} read ${bytes} bytes`);
      else if (bytes === undefined && !/\((ENOENT|EACCES|EPERM)\)/.test(line)) problems.push(`${file}: ${line}`);
    }
    return judge(problems, seen.join(', '));
  },
};

/** New files must meet the read-only mount; existing root-owned ones may meet the task's uid first. */
const READ_ONLY_NEW = ['/usr/bin/taskd-probe', '/usr/lib/taskd-probe', '/etc/taskd-probe'];
const READ_ONLY_EXISTING = ['/etc/passwd', '/usr/bin/id', '/usr/bin/env'];

const readOnlySystem: Attack = {
  id: 'read-only-system',
  title: `touch ${[...READ_ONLY_NEW, ...READ_ONLY_EXISTING].join(', ')}`,
  covers: '§5.9; P7',
  async run({ world }) {
    const all = [...READ_ONLY_NEW, ...READ_ONLY_EXISTING];
    const run = await world.run(
      world.apps.plain,
      `for f in ${all.join(' ')}; do touch $f 2>&1 || true; done; for f in ${READ_ONLY_NEW.join(' ')}; do [ -e $f ] && echo "$f created"; done; echo done`,
    );
    const problems: string[] = [];
    for (const f of all) {
      const line = linesMatching(run.output, new RegExp(`cannot touch '${f}'`))[0];
      const allowed = READ_ONLY_NEW.includes(f) ? /Read-only file system$/ : /(Read-only file system|Permission denied)$/;
      if (!line || !allowed.test(line)) problems.push(`${f}: ${line ?? 'touched'}`);
    }
    const created = linesMatching(run.output, / created$/);
    if (created.length) problems.push(created.join(', '));
    return judge(
      problems,
      `${linesMatching(run.output, /Read-only file system/).length} × Read-only file system, ${linesMatching(run.output, /Permission denied/).length} × Permission denied (existing root-owned files)`,
    );
  },
};

export const identityAttacks: Attack[] = [
  uid,
  fileOwner,
  capabilities,
  setuidBinaries,
  fileCapabilities,
  procEnviron,
  hostEnvironment,
  loaderVariables,
  commandAsOptions,
  variablesAsOptions,
  hostSecrets,
  readOnlySystem,
];
