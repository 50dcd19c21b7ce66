// Which sandbox this node runs tasks in, decided once: bubblewrap when it is installed and
// actually works here (containers often forbid the namespaces it needs), else none — said in
// the start-up log and GET /v3/info rather than hidden. The probe runs the very command line
// tasks get (bwrap-args.mjs) with `true`, so "usable" means usable for tasks, not merely present.
import { spawnSync } from 'node:child_process';
import { accessSync, chownSync, closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { taskCommand } from './bwrap-args.mjs';
import { seccompProgram } from './seccomp.mjs';
import type { HostUser } from '../task-user.js';

export type SandboxMode = 'auto' | 'bwrap' | 'none';

export interface SandboxInForce {
  kind: 'bwrap' | 'none';
  /** The bwrap binary, when kind is 'bwrap'. */
  bwrap?: string;
  /** Why this sandbox (for the log and /v3/info). */
  reason: string;
}

/** Where bwrap is looked for: fixed places, not taskd's PATH (which the operator may not curate). */
const CANDIDATES = ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'];
const PROBE_TIMEOUT_MS = 10_000;

let probed: { usable: true; bwrap: string } | { usable: false; reason: string } | undefined;

/** Whether bubblewrap works on this host, probed once per process (with and without network). */
export function probeBwrap(): { usable: true; bwrap: string } | { usable: false; reason: string } {
  probed ??= probe();
  return probed;
}

function probe(): { usable: true; bwrap: string } | { usable: false; reason: string } {
  const bwrap = CANDIDATES.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!bwrap) return { usable: false, reason: 'bubblewrap (bwrap) is not installed' };
  const dir = mkdtempSync(path.join(tmpdir(), 'taskd-bwrap-probe-'));
  try {
    // As tasks will run it: as the task user where taskd is root, with the seccomp filter, and in
    // the no-network form too (--unshare-net can fail where the others work).
    // Any unprivileged user shows whether bwrap's user namespace works for the task user: nobody.
    const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
    if (user) chownSync(dir, user.uid, user.gid);
    for (const network of [true, false]) runProbe(bwrap, dir, network, user);
    return { usable: true, bwrap };
  } catch (err) {
    return { usable: false, reason: `${bwrap} does not work here: ${(err as Error).message}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `true` in the sandbox; throws with bwrap's own first line (e.g. "No permissions to create new namespace"). */
function runProbe(bwrap: string, dir: string, network: boolean, user: HostUser | undefined): void {
  const run = taskCommand({ bwrap, network, dataDir: dir, seccomp: seccompProgram() }, dir, {}, ['-c', 'true']);
  // Each input as a file opened on the descriptor bwrap reads it from.
  const fds = run.inputs.map((data, i) => {
    const file = path.join(dir, `input-${i}`);
    writeFileSync(file, data);
    return openSync(file, 'r');
  });
  try {
    const result = spawnSync(run.file, run.args, {
      cwd: dir,
      env: run.env,
      stdio: ['ignore', 'ignore', 'pipe', ...fds],
      timeout: PROBE_TIMEOUT_MS,
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    if (result.error) throw result.error;
    if (result.status !== 0) {
      const stderr = String(result.stderr ?? '')
        .trim()
        .split('\n')[0];
      throw new Error(stderr || (result.signal ? `killed by ${result.signal}` : `exit status ${result.status}`));
    }
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** The sandbox for a configured mode; 'bwrap' when unusable is caught at config load (config.ts). */
export function sandboxInForce(mode: SandboxMode): SandboxInForce {
  if (mode === 'none') return { kind: 'none', reason: 'TASKD_SANDBOX=none' };
  const found = probeBwrap();
  if (found.usable) return { kind: 'bwrap', bwrap: found.bwrap, reason: `bubblewrap (${found.bwrap})` };
  if (mode === 'bwrap') throw new Error(`TASKD_SANDBOX=bwrap, but ${found.reason}`);
  return { kind: 'none', reason: `TASKD_SANDBOX=auto: ${found.reason}; tasks run unsandboxed` };
}

/**
 * Whether tasks have a network, as enforced: 'off' needs the sandbox (a network namespace);
 * unsandboxed, tasks have the host's network whatever TASKD_TASK_NETWORK says.
 */
export function taskNetworkInForce(config: { taskNetwork: 'on' | 'off' }, sandbox: SandboxInForce): 'on' | 'off' {
  return sandbox.kind === 'bwrap' ? config.taskNetwork : 'on';
}
