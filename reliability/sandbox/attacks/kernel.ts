// Reaching for the host's kernel from inside: /proc triggers and tunables, masked /proc files,
// /sys, device nodes, raw system calls the seccomp filter must refuse, new namespaces and mounts,
// ptrace of the sandbox's init, terminal injection and the hostname.
import { existsSync } from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { type Attack, type Verdict, excerpt, expectErrnos, judge, lineStarting, linesMatching, missingTools, skipped } from '../attack.js';
import type { SandboxWorld } from '../tenant.js';

const EPERM = 1;
const ENOENT = 2;
const EACCES = 13;
const ENOSPC = 28;
const EROFS = 30;
/** Not writable: a read-only mount, or permission denied to the task's uid. */
const DENIED = [EROFS, EACCES, EPERM];

/** Runs `python3 probe.py <args>` as a plain task and checks the errnos it printed. */
async function probeErrnos(world: SandboxWorld, args: string, expect: [string, string | number, number[]][]): Promise<Verdict> {
  const why = missingTools('python3');
  if (why) return skipped(why);
  const run = await world.run(world.apps.plain, `python3 probe.py ${args} 2>&1`);
  const { problems, seen } = expectErrnos(run.output, expect);
  if (linesMatching(run.output, /machine=/).length)
    return skipped(
      `raw system call numbers are x86-64 only: ${lineStarting(run.output, 'syscalls') ?? lineStarting(run.output, 'ptrace') ?? ''}`,
    );
  return judge(problems, seen);
}

/** Skips where the host's kernel has no such file: there is nothing to reach (or to hide). */
function onHost(files: string[]): string | undefined {
  const missing = files.filter((f) => !existsSync(f));
  return missing.length ? `${missing.join(', ')} does not exist on this host's kernel` : undefined;
}

const sysrq: Attack = {
  id: 'proc-sysrq-trigger',
  title: 'open /proc/sysrq-trigger for writing',
  covers: '§5.2; P2',
  run: ({ world }) => {
    const why = onHost(['/proc/sysrq-trigger']);
    return why
      ? Promise.resolve(skipped(why))
      : probeErrnos(world, 'openw /proc/sysrq-trigger', [['openw', '/proc/sysrq-trigger', DENIED]]);
  },
};

const modprobe: Attack = {
  id: 'proc-modprobe',
  title: 'write /proc/sys/kernel/modprobe (its own value back)',
  covers: '§5.2; P2',
  run: ({ world }) => {
    const why = onHost(['/proc/sys/kernel/modprobe']);
    return why
      ? Promise.resolve(skipped(why))
      : probeErrnos(world, 'writeback /proc/sys/kernel/modprobe', [['writeback', '/proc/sys/kernel/modprobe', DENIED]]);
  },
};

const BINFMT = ['/proc/sys/fs/binfmt_misc/register', '/proc/sys/fs/binfmt_misc/status'];

const binfmt: Attack = {
  id: 'proc-binfmt-misc',
  title: 'open binfmt_misc register and status for writing',
  covers: '§5.2; P2',
  run: ({ world }) => {
    // Inside, a binfmt_misc that is not shown at all (ENOENT) cannot be written either.
    const why = onHost(BINFMT);
    return why
      ? Promise.resolve(skipped(`${why} (binfmt_misc is not mounted)`))
      : probeErrnos(
          world,
          `openw ${BINFMT.join(' ')}`,
          BINFMT.map((f) => ['openw', f, [...DENIED, ENOENT]]),
        );
  },
};

const READONLY_PROC = ['/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/bus', '/proc/fs'];

const procReadOnly: Attack = {
  id: 'proc-irq-bus-fs',
  title: 'write /proc/irq/default_smp_affinity; /proc/sys, sysrq-trigger, irq, bus, fs must be read-only mounts',
  covers: '§5.2; P2',
  async run({ world }) {
    const why = missingTools('python3');
    if (why) return skipped(why);
    const run = await world.run(
      world.apps.plain,
      `python3 probe.py openw /proc/irq/default_smp_affinity 2>&1; awk '$5 ~ "^/proc/" {print "mount", $5, $6}' /proc/self/mountinfo`,
    );
    const { problems, seen } = expectErrnos(
      run.output,
      existsSync('/proc/irq/default_smp_affinity') ? [['openw', '/proc/irq/default_smp_affinity', DENIED]] : [],
    );
    const mounts = linesMatching(run.output, /^mount \/proc\//);
    const readOnly = (p: string) => mounts.some((m) => m.startsWith(`mount ${p} ro,`) || m === `mount ${p} ro`);
    const writable = READONLY_PROC.filter((p) => existsSync(p) && !readOnly(p));
    if (writable.length) problems.push(`not read-only mounts: ${writable.join(', ')}`);
    const absent = READONLY_PROC.filter((p) => !existsSync(p));
    return judge(
      problems,
      `${seen}; read-only: ${READONLY_PROC.filter(readOnly).join(' ') || 'none'}${absent.length ? `; not on this host: ${absent.join(' ')}` : ''}`,
    );
  },
};

const MASKED = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/proc/latency_stats', '/proc/interrupts'];

const procMasked: Attack = {
  id: 'proc-masked-files',
  title: `read ${MASKED.map((p) => p.slice(6)).join(', ')}`,
  covers: '§5.19; P3',
  quick: true,
  async run({ world }) {
    const why = missingTools('python3');
    if (why) return skipped(why);
    const run = await world.run(world.apps.plain, `python3 probe.py read ${MASKED.join(' ')} 2>&1`);
    const problems: string[] = [];
    const seen: string[] = [];
    for (const file of MASKED) {
      const line = lineStarting(run.output, `read ${file} `);
      const bytes = /bytes=(\d+)/.exec(line ?? '')?.[1];
      seen.push(`${file.slice(6)} ${bytes !== undefined ? `${bytes} bytes` : (/\((\w+)\)/.exec(line ?? '')?.[1] ?? 'no result')}`);
      if (!line) problems.push(`${file}: no result`);
      else if (bytes !== undefined && bytes !== '0') problems.push(`${file} read ${bytes} bytes`);
    }
    return judge(problems, seen.join(', '));
  },
};

const procHardware: Attack = {
  id: 'proc-acpi-scsi',
  title: 'list /proc/acpi, /proc/scsi, /proc/asound',
  covers: 'P3',
  async run({ world }) {
    const run = await world.run(
      world.apps.plain,
      `for d in /proc/acpi /proc/scsi /proc/asound; do echo "$d entries=$(ls -A $d 2>/dev/null | wc -l)"; done`,
    );
    const lines = linesMatching(run.output, /^\/proc\/\w+ entries=/);
    const problems =
      lines.length === 3
        ? lines.filter((l) => !l.endsWith('entries=0')).map((l) => `${l} (not empty)`)
        : [`unexpected output ${excerpt(run.output)}`];
    return judge(problems, lines.join(', '));
  },
};

const SYS_PATHS = ['/sys/firmware', '/sys/kernel', '/sys/fs/cgroup', '/sys/kernel/uevent_helper', '/sys/fs/cgroup/memory/release_agent'];

const sysAbsent: Attack = {
  id: 'sys-absent',
  title: 'reach /sys (firmware, kernel, uevent_helper, cgroup release_agent)',
  covers: '§5.12, §5.20; P3, P17',
  async run({ world }) {
    const run = await world.run(
      world.apps.plain,
      `echo "/sys entries=$(ls -A /sys 2>/dev/null | wc -l)"; for d in ${SYS_PATHS.join(' ')}; do [ -e $d ] && echo "$d present" || echo "$d absent"; done`,
    );
    const problems: string[] = [];
    const top = lineStarting(run.output, '/sys entries=');
    if (top !== '/sys entries=0') problems.push(`${top ?? 'no answer'}: /sys is not empty`);
    for (const p of SYS_PATHS) if (lineStarting(run.output, `${p} `) !== `${p} absent`) problems.push(`${p} present`);
    return judge(problems, `${top}; ${SYS_PATHS.map((p) => lineStarting(run.output, `${p} `) ?? `${p} ?`).join(', ')}`);
  },
};

const mknod: Attack = {
  id: 'devices-mknod',
  title: 'mknod a block device (sda) and /dev/mem',
  covers: 'devices; P5',
  async run({ world }) {
    const run = await world.run(
      world.apps.plain,
      `mknod /tmp/sda b 8 0 2>&1; echo "mknod block exit=$?"; mknod /tmp/mem c 1 1 2>&1; echo "mknod char exit=$?"`,
    );
    const refused = linesMatching(run.output, /Operation not permitted/).length;
    const problems: string[] = [];
    for (const kind of ['block', 'char'])
      if (lineStarting(run.output, `mknod ${kind} exit=`) === `mknod ${kind} exit=0`) problems.push(`mknod of a ${kind} device succeeded`);
    if (refused < 2) problems.push(`expected "Operation not permitted" twice, saw ${excerpt(run.output, 200)}`);
    return judge(problems, `${refused} × Operation not permitted`);
  },
};

const DEVICE_NODES = [
  '/dev/mem',
  '/dev/kmem',
  '/dev/port',
  '/dev/sda',
  '/dev/vda',
  '/dev/nvme0n1',
  '/dev/kmsg',
  '/dev/loop-control',
  '/dev/fuse',
];

const deviceNodes: Attack = {
  id: 'devices-host-nodes',
  title: 'look for /dev/mem, disks, kmsg, loop-control, fuse and any block device',
  covers: 'devices; P7',
  async run({ world }) {
    const run = await world.run(
      world.apps.plain,
      `for d in ${DEVICE_NODES.join(' ')}; do [ -e $d ] && echo "$d present" || echo "$d absent"; done; echo "block devices=$(find /dev -type b 2>/dev/null | wc -l)"; head -c 16 /dev/mem 2>&1 | head -c 200; echo`,
    );
    const present = DEVICE_NODES.filter((d) => lineStarting(run.output, `${d} `) !== `${d} absent`);
    const blocks = lineStarting(run.output, 'block devices=');
    const problems = [
      ...present.map((d) => `${d} present`),
      ...(blocks === 'block devices=0' ? [] : [`${blocks ?? 'no block device count'}`]),
    ];
    return judge(problems, `${DEVICE_NODES.length - present.length}/${DEVICE_NODES.length} absent, ${blocks}`);
  },
};

/** One raw system call that the seccomp filter must answer EPERM. */
function syscallAttack(id: string, names: string[], covers: string, quick = false): Attack {
  return {
    id: `syscall-${id}`,
    title: `${names.join(' and ')} through ctypes syscall()`,
    covers,
    quick,
    run: ({ world }) =>
      probeErrnos(
        world,
        `syscalls ${names.join(' ')}`,
        names.map((n) => ['syscall', n, [EPERM]]),
      ),
  };
}

const ptrace: Attack = {
  id: 'ptrace-init',
  title: "ptrace(PTRACE_ATTACH) and process_vm_readv on the sandbox's pid 1",
  covers: '§5.17; P15',
  run: ({ world }) =>
    probeErrnos(world, 'ptrace 1', [
      ['ptrace-attach', 1, [EPERM]],
      ['process_vm_readv', 1, [EPERM]],
    ]),
};

const unshareUser: Attack = {
  id: 'unshare-user',
  title: "unshare -U, unshare -Urm sh -c 'mount --bind …' (a nested user namespace)",
  covers: '§5.3, §5.10; P6',
  async run({ world }) {
    const why = missingTools('unshare');
    if (why) return skipped(why);
    const run = await world.run(
      world.apps.plain,
      `unshare -U true 2>&1; echo "unshare -U exit=$?"; unshare -Urm sh -c 'mount --bind /tmp /home && echo "nested root uid=$(id -u) mounted"' 2>&1; echo "unshare -Urm exit=$?"`,
    );
    const problems: string[] = [];
    for (const what of ['unshare -U', 'unshare -Urm'])
      if (lineStarting(run.output, `${what} exit=`) === `${what} exit=0`) problems.push(`${what} succeeded`);
    if (lineStarting(run.output, 'nested root')) problems.push(lineStarting(run.output, 'nested root')!);
    const why2 = linesMatching(run.output, /unshare failed: /).map((l) => l.replace(/^.*unshare failed: /, ''));
    if (why2.length < 2 || why2.some((w) => w !== 'No space left on device' && w !== 'Operation not permitted'))
      problems.push(`expected "No space left on device" or "Operation not permitted" from both, saw ${excerpt(run.output, 200)}`);
    return judge(problems, `unshare failed: ${why2.join(' / ') || 'no'}`);
  },
};

const unshareMount: Attack = {
  id: 'unshare-mount-ipc-net',
  title: 'unshare -m, -i, -n (new mount, ipc and network namespaces)',
  covers: '§5.10; P6',
  async run({ world }) {
    const why = missingTools('unshare');
    if (why) return skipped(why);
    const run = await world.run(world.apps.plain, `for f in -m -i -n; do unshare $f true 2>&1; echo "unshare $f exit=$?"; done`);
    const problems: string[] = [];
    for (const f of ['-m', '-i', '-n'])
      if (lineStarting(run.output, `unshare ${f} exit=`) !== `unshare ${f} exit=1`)
        problems.push(`unshare ${f}: ${lineStarting(run.output, `unshare ${f} exit=`) ?? 'no answer'}`);
    const eperm = linesMatching(run.output, /unshare failed: Operation not permitted/).length;
    if (eperm !== 3) problems.push(`expected "Operation not permitted" three times, saw ${excerpt(run.output, 200)}`);
    return judge(problems, `${eperm} × unshare failed: Operation not permitted`);
  },
};

const mounts: Attack = {
  id: 'mount-proc-cgroup',
  title: 'mount -t proc, mount -t cgroup; mount(2) proc, cgroup (memory) and tmpfs; unshare(2) CLONE_NEWNS and CLONE_NEWUSER',
  covers: '§5.11, §5.12; P6, P17',
  async run({ world }) {
    const why = missingTools('python3', 'mount');
    if (why) return skipped(why);
    const run = await world.run(
      world.apps.plain,
      `mkdir -p /tmp/m; for t in proc cgroup; do mount -t $t -o ro none /tmp/m 2>&1; echo "mount -t $t exit=$?"; done; python3 probe.py mounts /tmp/m 2>&1`,
    );
    if (lineStarting(run.output, 'mounts skipped'))
      return skipped(`raw system call numbers are x86-64 only: ${lineStarting(run.output, 'mounts skipped')}`);
    const { problems, seen } = expectErrnos(run.output, [
      ['mount', 'proc', [EPERM]],
      ['mount', 'cgroup', [EPERM]],
      ['mount', 'tmpfs', [EPERM]],
      ['unshare', 'CLONE_NEWNS', [EPERM]],
      ['unshare', 'CLONE_NEWUSER', [EPERM, ENOSPC]],
    ]);
    const cli = ['proc', 'cgroup'].map((t) => lineStarting(run.output, `mount -t ${t} exit=`) ?? `mount -t ${t}: no result`);
    for (const line of cli) if (!/exit=[1-9]\d*$/.test(line)) problems.push(`${line}: mount(8) did not fail`);
    return judge(problems, `${cli.join(', ')}; ${seen}`);
  },
};

const tiocsti: Attack = {
  id: 'tiocsti',
  title: 'TIOCSTI on stdin, open /dev/tty',
  covers: '§5.43; P16',
  run: ({ world }) =>
    probeErrnos(world, 'tiocsti', [
      ['tiocsti', 'stdin', [25, EPERM, 5]],
      ['open', '/dev/tty', [6, ENOENT, EACCES]],
    ]),
};

const hostnameChange: Attack = {
  id: 'hostname',
  title: 'sethostname',
  covers: '§5.47',
  async run({ world }) {
    const why = missingTools('python3');
    if (why) return skipped(why);
    const name = `evil-${randomBytes(3).toString('hex')}`;
    const before = hostHostname();
    const run = await world.run(world.apps.plain, `python3 probe.py hostname ${name} 2>&1`);
    const { problems, seen } = expectErrnos(run.output, [['sethostname', name, [EPERM]]]);
    if (hostHostname() !== before) problems.push(`the host's hostname is now ${hostHostname()}`);
    return judge(
      problems,
      `${seen}; ${lineStarting(run.output, 'hostname now=') ?? ''}; host hostname ${hostHostname() === before ? 'unchanged' : 'CHANGED'}`,
    );
  },
};

export const kernelAttacks: Attack[] = [
  sysrq,
  modprobe,
  binfmt,
  procReadOnly,
  procMasked,
  procHardware,
  sysAbsent,
  mknod,
  deviceNodes,
  syscallAttack('keyring', ['keyctl', 'add_key'], '§5.16, §5.48; P15', true),
  syscallAttack('io-uring', ['io_uring_setup'], '§5.16; P15'),
  syscallAttack('bpf', ['bpf'], '§5.16; P15'),
  syscallAttack('userfaultfd', ['userfaultfd'], '§5.16; P15'),
  syscallAttack('perf-event-open', ['perf_event_open'], '§5.16; P15'),
  ptrace,
  unshareUser,
  unshareMount,
  mounts,
  tiocsti,
  hostnameChange,
];
