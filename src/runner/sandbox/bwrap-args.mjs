// How a task is started: its shell inside bubblewrap, or plainly where there is no sandbox. In the
// sandbox a task sees a read-only system, its private working directory at CF's /home/vcap/app,
// private /tmp and $HOME, and nothing else of the host — nothing of taskd's data directory (its
// database, signing key and the other tasks' directories), no /sys, no writable kernel setting.
// Plain JavaScript: the task supervisor loads it without loaders.
//
// Who the task is: bwrap never runs as root. When taskd is root the supervisor starts bwrap as the
// task user (TASKD_TASK_UID/GID, an unprivileged host uid); otherwise bwrap runs as taskd's own
// user. Either way bwrap makes a user namespace in which the task is uid/gid 2000, `vcap`, as in
// Cloud Foundry's stacks, holding no capability in any namespace of the host, and it cannot make
// another (--disable-userns). Host root is not mapped: files of the host's root show as nobody,
// and kernel settings owned by it cannot be written even where a read-only cover were missed.
//
// What reaches which process: bwrap itself runs with a fixed environment (a tenant's LD_PRELOAD
// must never reach a loader on the host side). The task's variables travel, with every other
// argument, through a pipe (--args 3) — never a command line, which any host user can read — and
// bwrap sets them (--clearenv, --setenv) in the sandbox only. The command follows a fixed `--`.
//
// Process groups: the runner signals the group whose leader is bwrap. Everything inside keeps that
// group (no --new-session, which would setsid the task out of it), so the /proc watchdogs — which
// read the host's /proc by group — still count its processes and memory where there are no
// cgroups. --new-session exists against TIOCSTI on a controlling terminal; tasks get none (their
// stdio are pipes) and the seccomp filter refuses TIOCSTI anyway.
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { constants } from 'node:os';

/**
 * Where a sandboxed task finds taskd's helper (`taskd progress`, `taskd message`; the runner's
 * task-helper/): a read-only file on the sandbox's own read-only root, from a pipe, so no path of
 * the host needs to be reachable by the task's user.
 */
export const HELPER_DIR = '/opt/taskd/bin';

/** Where CF puts the app; the task starts there. */
export const APP_DIR = '/home/vcap/app';
export const HOME_DIR = '/home/vcap';
/** The task's identity inside the sandbox: CF's `vcap`. */
export const SANDBOX_UID = 2000;
export const SANDBOX_GID = 2000;

/**
 * The system a task sees, read-only; each bound only if present (symlinks kept as symlinks).
 * Not /opt, /var, /srv, /root or /home: operators keep installations, config files (with
 * taskd's database URL) and data there.
 */
const SYSTEM_PATHS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'];

/** Host secrets under the bound /etc: covered up when present (the task could not read most anyway). */
const HIDDEN_FILES = ['/etc/shadow', '/etc/gshadow', '/etc/shadow-', '/etc/gshadow-', '/etc/sudoers'];
const HIDDEN_DIRS = ['/etc/ssh', '/etc/sudoers.d', '/etc/ssl/private', '/etc/taskd'];

/** Docker's read-only /proc paths: kernel settings and triggers (core_pattern runs a program as root). */
const PROC_READ_ONLY = ['/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/bus', '/proc/fs'];
/** Docker's masked /proc files (kernel memory, keys, timing side channels) and directories. */
const PROC_MASKED_FILES = [
  '/proc/kcore',
  '/proc/keys',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/latency_stats',
  '/proc/interrupts',
];
const PROC_MASKED_DIRS = ['/proc/acpi', '/proc/asound', '/proc/scsi'];

/** The users a task's /etc names: its own, and root and nobody, which its files may show. */
const PASSWD = `root:x:0:0:root:/root:/usr/sbin/nologin\nvcap:x:${SANDBOX_UID}:${SANDBOX_GID}:vcap:${HOME_DIR}:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`;
const GROUP = `root:x:0:\nvcap:x:${SANDBOX_GID}:\nnogroup:x:65534:\n`;

/**
 * The environment of bwrap itself: fixed. The task guid lets a later supervisor find a lost task's processes.
 * @param {Record<string, string>} env
 * @returns {Record<string, string>}
 */
function bwrapEnv(env) {
  return { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', ...(env.TASKD_TASK_GUID ? { TASKD_TASK_GUID: env.TASKD_TASK_GUID } : {}) };
}

/**
 * The file descriptors bwrap reads (after stdin, stdout, stderr): its arguments, the sandbox's
 * /etc/passwd and /etc/group, then, where there are: the helper script and the seccomp program.
 */
export const ARGS_FD = 3;
const PASSWD_FD = 4;
const GROUP_FD = 5;
const HELPER_FD = 6;
/** @param {SandboxOptions} sandbox */
const seccompFd = (sandbox) => (sandbox.helper ? HELPER_FD + 1 : HELPER_FD);

/**
 * @typedef {{ bwrap: string, network: boolean, tmpBytes: number, dataDir: string, seccomp?: Buffer, helper?: Buffer }} SandboxOptions
 *   `tmpBytes` caps each private tmpfs (/tmp, $HOME, /dev/shm): their pages are memory, charged
 *   to the task's memory cgroup, so each gets the task's disk limit as its size. `helper`: the
 *   script shown at HELPER_DIR/taskd.
 */

/** @param {string} p */
function lstatOrUndefined(p) {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

function systemArgs() {
  const args = [];
  for (const p of SYSTEM_PATHS) {
    const st = lstatOrUndefined(p);
    if (!st) continue;
    // Merged-/usr hosts have /bin -> usr/bin: the same link inside, not a second bind.
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(p), p);
    else args.push('--ro-bind', p, p);
  }
  args.push('--ro-bind-data', String(PASSWD_FD), '/etc/passwd', '--ro-bind-data', String(GROUP_FD), '/etc/group');
  return args;
}

/** The new /proc's kernel settings read-only and its sensitive files masked (those this kernel has). */
function procArgs() {
  const args = [];
  for (const p of PROC_READ_ONLY) if (existsSync(p)) args.push('--ro-bind', p, p);
  for (const p of PROC_MASKED_FILES) if (existsSync(p)) args.push('--ro-bind', '/dev/null', p);
  for (const p of PROC_MASKED_DIRS) if (existsSync(p)) args.push('--tmpfs', p, '--remount-ro', p);
  return args;
}

/** @param {string} dataDir */
function hideArgs(dataDir) {
  const args = [];
  for (const f of HIDDEN_FILES) if (existsSync(f)) args.push('--ro-bind', '/dev/null', f);
  for (const d of HIDDEN_DIRS) if (lstatOrUndefined(d)?.isDirectory()) args.push('--tmpfs', d);
  // A data directory placed under a bound system path (/usr/local/taskd, /etc/taskd) is covered too:
  // a task must never see it, wherever it lives.
  const covered = SYSTEM_PATHS.some((p) => dataDir === p || dataDir.startsWith(`${p}/`));
  if (covered && existsSync(dataDir)) args.push('--tmpfs', dataDir);
  return args;
}

/**
 * bwrap's options (read from ARGS_FD), the task's environment set inside only.
 * @param {SandboxOptions} sandbox
 * @param {string} cwd the task's working directory on the host, shown at /home/vcap/app
 * @param {Record<string, string>} env
 */
export function bwrapOptions(sandbox, cwd, env) {
  const size = String(Math.max(1, sandbox.tmpBytes));
  // Options and their values side by side, as bwrap reads them.
  // prettier-ignore
  return [
    ...systemArgs(),
    // /dev's shared-memory directory is memory too: sized like the other tmpfs.
    '--dev', '/dev',
    '--size', size, '--tmpfs', '/dev/shm',
    '--proc', '/proc',
    ...procArgs(),
    '--size', size, '--tmpfs', '/tmp',
    '--size', size, '--perms', '0700', '--tmpfs', HOME_DIR,
    '--bind', cwd, APP_DIR,
    ...(sandbox.helper ? ['--perms', '0555', '--ro-bind-data', String(HELPER_FD), `${HELPER_DIR}/taskd`] : []),
    ...hideArgs(sandbox.dataDir),
    // The root itself is bwrap's own tmpfs: read-only, so nothing is written outside the above.
    '--remount-ro', '/',
    // A user namespace in which the task is vcap with no capabilities and may make no other.
    '--unshare-user', '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_GID), '--disable-userns',
    // A new pid namespace keeps the task from seeing (and reading /proc/<pid>/environ of) taskd
    // and other tasks; ipc and uts are private as in a container.
    '--unshare-pid', '--unshare-ipc', '--unshare-uts',
    ...(sandbox.network ? [] : ['--unshare-net']),
    '--cap-drop', 'ALL',
    // If bwrap's own process dies (SIGKILL to it alone), the sandbox goes with it.
    '--die-with-parent',
    ...(sandbox.seccomp ? ['--seccomp', String(seccompFd(sandbox))] : []),
    '--clearenv',
    ...Object.entries(env).flatMap(([name, value]) => ['--setenv', name, value]),
    '--chdir', APP_DIR,
  ];
}

const MB = 1024 * 1024;
/** The private tmpfs size of a task without a disk limit. */
const DEFAULT_TMP_MB = 1024;

/**
 * What the supervisor spawns for a task: `/bin/sh ...shellArgs` with `env`, or — with `sandbox` —
 * bwrap running it, with a fixed environment; and `inputs`: what to write to each extra file
 * descriptor (index 3 on) once the process has joined its cgroups. Nothing of the task runs
 * before that write: bwrap reads its arguments first, and the plain shell waits for its line.
 * @param {Omit<SandboxOptions, 'tmpBytes'> | undefined} sandbox
 * @param {string} cwd
 * @param {Record<string, string>} env
 * @param {string[]} shellArgs
 * @param {number} [diskMb]
 * @returns {{ file: string, args: string[], env: Record<string, string>, inputs: Buffer[] }}
 */
export function taskCommand(sandbox, cwd, env, shellArgs, diskMb) {
  // Unsandboxed, a first shell waits in the same way for a line on ARGS_FD, then changes into the
  // task's directory (its $0: the directory may not exist yet when it starts) and becomes the
  // task's shell. Without that line (its writer died) it runs nothing.
  if (!sandbox)
    return {
      file: '/bin/sh',
      args: ['-c', `read _ <&${ARGS_FD} && exec ${ARGS_FD}<&- && cd -- "$0" && exec /bin/sh "$@"; exit 126`, cwd, ...shellArgs],
      env,
      inputs: [Buffer.from('\n')],
    };
  const tmpBytes = (diskMb ?? DEFAULT_TMP_MB) * MB;
  const options = bwrapOptions({ ...sandbox, tmpBytes }, cwd, env);
  /** @type {Buffer[]} */
  const inputs = [Buffer.from(`${options.join('\0')}\0`), Buffer.from(PASSWD), Buffer.from(GROUP)];
  if (sandbox.helper) inputs.push(sandbox.helper);
  if (sandbox.seccomp) inputs.push(sandbox.seccomp);
  return { file: sandbox.bwrap, args: ['--args', String(ARGS_FD), '--', '/bin/sh', ...shellArgs], env: bwrapEnv(env), inputs };
}

/**
 * How the task's shell ended, from how bwrap ended: bwrap exits with 128 + N when the shell was
 * killed by signal N, which is read back as that signal — as a shell's `$?` reads it (a shell
 * that itself ran `exit 137` cannot be told apart, as with any shell).
 * @param {number | null} code
 * @param {NodeJS.Signals | null} signal
 * @returns {{ code: number | null, signal: NodeJS.Signals | null }}
 */
export function sandboxExit(code, signal) {
  if (signal || code === null || code <= 128) return { code, signal };
  const name = /** @type {NodeJS.Signals[]} */ (Object.keys(constants.signals)).find((key) => constants.signals[key] === code - 128);
  return name ? { code: null, signal: name } : { code, signal };
}
