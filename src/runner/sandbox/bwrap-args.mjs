// The command line that runs a task inside bubblewrap: a read-only view of the system, the
// task's private working directory at CF's /home/vcap/app, private /tmp and $HOME, and nothing
// else of the host — in particular nothing of taskd's data directory (its database, signing key
// and the other tasks' directories). Plain JavaScript: the task supervisor loads it without
// loaders.
//
// Process groups: the runner signals the group whose leader is the process it spawned, here
// bwrap itself. Everything inside keeps that group (no --new-session, which would setsid the
// task out of it), so SIGTERM/SIGKILL to the group reach the task, and the /proc watchdogs —
// which read the host's /proc by group — still count its processes and memory. --new-session
// exists against TIOCSTI on a controlling terminal; the helper runs detached (setsid) and gives
// tasks no terminal, so there is none to inject into.
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { constants } from 'node:os';

/** Where CF puts the app; the task starts there. */
export const APP_DIR = '/home/vcap/app';
export const HOME_DIR = '/home/vcap';

/**
 * The system a task sees, read-only; each bound only if present (symlinks kept as symlinks).
 * Not /opt, /var, /srv, /root or /home: operators keep installations, config files (with
 * taskd's database URL) and data there.
 */
const SYSTEM_PATHS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'];

/** Host secrets under the bound /etc a root task could read: covered up when present. */
const HIDDEN_FILES = ['/etc/shadow', '/etc/gshadow', '/etc/shadow-', '/etc/gshadow-', '/etc/sudoers'];
const HIDDEN_DIRS = ['/etc/ssh', '/etc/sudoers.d', '/etc/ssl/private', '/etc/taskd'];

/**
 * @typedef {{ bwrap: string, network: boolean, tmpBytes: number, dataDir: string }} SandboxOptions
 *   `tmpBytes` caps each private tmpfs (/tmp, $HOME, /dev/shm): their pages are memory, counted
 *   neither by the disk watchdog nor as a process's resident memory, so each gets the task's
 *   disk limit as its size.
 */

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
  return args;
}

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
 * The argv (after the bwrap binary) running `/bin/sh ...shellArgs` as the task. The task's
 * environment is bwrap's own, which bwrap passes on: not --setenv, whose values (the task's
 * token, the app's variables) would stand in bwrap's command line, which any host user can read.
 * @param {SandboxOptions} sandbox
 * @param {string} cwd the task's working directory on the host, shown at /home/vcap/app
 * @param {string[]} shellArgs
 */
export function bwrapArgs(sandbox, cwd, shellArgs) {
  const size = String(Math.max(1, sandbox.tmpBytes));
  const args = [
    ...systemArgs(),
    // /dev's shared-memory directory is memory too: sized like the other tmpfs.
    '--dev', '/dev',
    '--size', size, '--tmpfs', '/dev/shm',
    '--proc', '/proc',
    '--size', size, '--tmpfs', '/tmp',
    '--size', size, '--perms', '0700', '--tmpfs', HOME_DIR,
    '--bind', cwd, APP_DIR,
    ...hideArgs(sandbox.dataDir),
    // The root itself is bwrap's own tmpfs: read-only, so nothing is written outside the above.
    '--remount-ro', '/',
    // A new pid namespace keeps the task from seeing (and reading /proc/<pid>/environ of) taskd
    // and other tasks; ipc and uts are private as in a container.
    '--unshare-pid', '--unshare-ipc', '--unshare-uts',
    ...(sandbox.network ? [] : ['--unshare-net']),
    // Root on the host stays uid 0 inside but with no capabilities: it cannot remount, mount or
    // trace its way out of the view above.
    '--cap-drop', 'ALL',
    // If bwrap's own process dies (SIGKILL to it alone), the sandbox goes with it.
    '--die-with-parent',
    '--chdir', APP_DIR,
    '--',
    '/bin/sh',
    ...shellArgs,
  ];
  return args;
}

const MB = 1024 * 1024;
/** The private tmpfs size of a task without a disk limit. */
const DEFAULT_TMP_MB = 1024;

/**
 * What the helper spawns for a task: `/bin/sh ...shellArgs` with `env`, or — with `sandbox`
 * ({ bwrap, network, dataDir }) — bwrap running it, with the same environment.
 */
export function taskCommand(sandbox, cwd, env, shellArgs, diskMb) {
  if (!sandbox) return { file: '/bin/sh', args: shellArgs, env };
  const tmpBytes = (diskMb ?? DEFAULT_TMP_MB) * MB;
  return { file: sandbox.bwrap, args: bwrapArgs({ ...sandbox, tmpBytes }, cwd, shellArgs), env };
}

/**
 * How the task's shell ended, from how bwrap ended: bwrap exits with 128 + N when the shell was
 * killed by signal N, which is read back as that signal — as a shell's `$?` reads it (a shell
 * that itself ran `exit 137` cannot be told apart, as with any shell).
 */
export function sandboxExit(code, signal) {
  if (signal || code === null || code <= 128) return { code, signal };
  const name = Object.keys(constants.signals).find((key) => constants.signals[key] === code - 128);
  return name ? { code: null, signal: name } : { code, signal };
}
