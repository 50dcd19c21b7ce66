// What one attack of the hostile-tenant campaign is, what it is given, and how its verdict is
// worded. An attack is a task (or a few) that the attacker — an ordinary space developer — creates
// through the CF API, plus what is looked at on the host where the property lives there. Its
// verdict is "contained" only when exactly the expected answer was seen (an errno, a status, a
// failure reason, a host figure within its bound); anything else is "not contained", with what
// was seen. An attack that cannot run here (a tool missing) is "skipped" with the reason.
import { existsSync } from 'node:fs';
import type { Droplet } from './droplet.js';
import type { AbstractSocket, Sentinels } from './host.js';
import type { SandboxWorld, TaskRun } from './tenant.js';

export type Outcome = 'contained' | 'not contained' | 'skipped';

export interface Verdict {
  outcome: Outcome;
  /** What was seen (and, when not contained, what was wrong), in a line. */
  seen: string;
}

export interface AttackContext {
  world: SandboxWorld;
  droplet: Droplet;
  /** The host's core_pattern before the campaign began. */
  corePattern: string;
  sentinels: Sentinels;
  abstractSocket: AbstractSocket;
  /** Host files a library or script loaded outside the sandbox writes to (EVIL_MARK of each app). */
  marks: { preload: string; loaders: string };
  /** The value of TENANT_MARK, an app variable of the plain app. */
  tenantMark: string;
  /** The variables the injection app was given (PATCH), to compare with what its task sees. */
  injectionVariables: Record<string, string>;
}

export interface Attack {
  /** Short stable id, e.g. "core-pattern". */
  id: string;
  /** What the attacker tries, in a few words. */
  title: string;
  /** Where it comes from: the issue's finding, the spec's campaign item (§5.n) and property (Pn). */
  covers: string;
  /** Measured on host-wide figures (disk, CPU): runs with no other attack beside it. */
  exclusive?: boolean;
  /** In the quick subset that `npm test` runs. */
  quick?: boolean;
  run(ctx: AttackContext): Promise<Verdict>;
}

export const contained = (seen: string): Verdict => ({ outcome: 'contained', seen });
export const notContained = (seen: string): Verdict => ({ outcome: 'not contained', seen });
export const skipped = (reason: string): Verdict => ({ outcome: 'skipped', seen: reason });

/** Contained when no problem was found; the problems lead what was seen otherwise. */
export function judge(problems: string[], seen: string): Verdict {
  return problems.length ? notContained(`${problems.join('; ')} | seen: ${seen}`) : contained(seen);
}

/** The first line of `output` starting with `prefix` (trimmed), or undefined. */
export function lineStarting(output: string, prefix: string): string | undefined {
  return output
    .split('\n')
    .find((line) => line.startsWith(prefix))
    ?.trim();
}

/** Every line of `output` matching `pattern`. */
export function linesMatching(output: string, pattern: RegExp): string[] {
  return output.split('\n').filter((line) => pattern.test(line));
}

/**
 * The result probe.py printed for `<what> <target>`: 'ok', an errno number, or undefined when no
 * such line was printed (the probe did not get that far).
 */
export function probeResult(output: string, what: string, target: string | number): 'ok' | number | undefined {
  const line = lineStarting(output, `${what} ${target} `);
  if (!line) return undefined;
  const errno = /errno=(\d+)/.exec(line);
  return errno ? Number(errno[1]) : line.includes(' ok') ? 'ok' : undefined;
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  5: 'EIO',
  6: 'ENXIO',
  13: 'EACCES',
  14: 'EFAULT',
  22: 'EINVAL',
  25: 'ENOTTY',
  28: 'ENOSPC',
  30: 'EROFS',
  38: 'ENOSYS',
  111: 'ECONNREFUSED',
  122: 'EDQUOT',
};
export const errnoName = (r: 'ok' | number | undefined) =>
  r === undefined ? 'no result' : r === 'ok' ? 'succeeded' : (ERRNO_NAMES[r] ?? `errno ${r}`);

/**
 * Checks probe results against the errnos allowed for each; answers the problems. `expect` maps
 * `<what> <target>` to the allowed errnos.
 */
export function expectErrnos(
  output: string,
  expect: [what: string, target: string | number, allowed: number[]][],
): { problems: string[]; seen: string } {
  const problems: string[] = [];
  const seen: string[] = [];
  for (const [what, target, allowed] of expect) {
    const r = probeResult(output, what, target);
    seen.push(`${what} ${target}: ${errnoName(r)}`);
    if (typeof r !== 'number' || !allowed.includes(r))
      problems.push(`${what} ${target} gave ${errnoName(r)}, expected ${allowed.map((e) => errnoName(e)).join(' or ')}`);
  }
  return { problems, seen: seen.join(', ') };
}

/** A task's end in a few words. */
export const ending = (run: TaskRun) =>
  `${run.ended ? run.state : `not final after ${Math.round(run.ms / 1000)} s (${run.state})`}${run.failureReason ? ` "${run.failureReason}"` : ''}`;

/** The output shortened for a verdict line. */
export const excerpt = (output: string, chars = 300) => JSON.stringify(output.length > chars ? `${output.slice(0, chars)}…` : output);

/** Host tools the attacks call inside the sandbox (which binds the host's /usr). */
export function hostHas(tool: string): boolean {
  return ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].some((dir) => existsSync(`${dir}/${tool}`));
}

/** A skip reason when any of the tools is missing, else undefined. */
export function missingTools(...tools: string[]): string | undefined {
  const missing = tools.filter((t) => !hostHas(t));
  return missing.length ? `not installed on this host (so not in the sandbox either): ${missing.join(', ')}` : undefined;
}

export const MB = 1024 * 1024;
export const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
