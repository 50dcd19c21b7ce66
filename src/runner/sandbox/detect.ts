// Which sandbox this node runs tasks in, decided once: bubblewrap when it is installed and
// actually works here (containers often forbid the namespaces it needs), else none — said in
// the start-up log and GET /v3/info rather than hidden. The probe runs the very command line
// tasks get (bwrap-args.mjs) with `true`, so "usable" means usable for tasks, not merely present.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bwrapArgs } from './bwrap-args.mjs';

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
    // The no-network form too: --unshare-net can fail where the others work.
    for (const network of [true, false]) {
      execFileSync(bwrap, bwrapArgs({ bwrap, network, tmpBytes: 1024 * 1024, dataDir: dir }, dir, ['-c', 'true']), {
        env: {},
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: PROBE_TIMEOUT_MS,
      });
    }
    return { usable: true, bwrap };
  } catch (err) {
    // bwrap's own first line says why (e.g. "No permissions to create new namespace"); the
    // command line in err.message would only bury it.
    const failed = err as { stderr?: Buffer; status?: number | null; signal?: string | null; code?: string };
    const stderr = String(failed.stderr ?? '').trim().split('\n')[0];
    const how = failed.code ?? (failed.signal ? `killed by ${failed.signal}` : `exit status ${failed.status}`);
    return { usable: false, reason: `${bwrap} does not work here: ${stderr || how}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
