// The limits the tenants check runs taskd with: its defaults, except the few budgets that could not
// be reached within the check's minutes, which it sets explicitly (and says why). What each limit
// is in the taskd under test is read from taskd's own loadConfig with the same environment, so the
// printout shows the values that applied; a limit this taskd does not know yet is said to be so.
import { readFileSync } from 'node:fs';
import { loadConfig, type Config } from '../../src/config.js';

/** taskd's settings table, as text: whether it knows a variable (one whose default is unset has no key in the config). */
const CONFIG_SOURCE = readFileSync(new URL('../../src/config.ts', import.meta.url), 'utf8');

export const MiB = 2 ** 20;

/** A limit the check is about: what it protects, its config key and its TASKD_ variable. */
interface Limit {
  what: string;
  key: string;
  env: string;
  /** What taskd does when it is not set. */
  unset?: string;
}

const LIMITS: Limit[] = [
  { what: 'open connections, whole node', key: 'maxConnections', env: 'TASKD_MAX_CONNECTIONS' },
  { what: 'open connections per client address', key: 'maxConnectionsPerAddress', env: 'TASKD_MAX_CONNECTIONS_PER_ADDRESS' },
  { what: 'requests in progress per user', key: 'maxConcurrentRequestsPerUser', env: 'TASKD_MAX_CONCURRENT_REQUESTS_PER_USER' },
  { what: 'requests worked on at once per user', key: 'activeRequestsPerUser', env: 'TASKD_ACTIVE_REQUESTS_PER_USER' },
  { what: 'requests started per user per second', key: 'requestsPerSecondPerUser', env: 'TASKD_REQUESTS_PER_SECOND_PER_USER' },
  { what: 'live log streams per user', key: 'maxStreamsPerUser', env: 'TASKD_MAX_STREAMS_PER_USER' },
  { what: 'task creates per user per minute', key: 'taskCreateRateLimit', env: 'TASKD_TASK_CREATE_RATE_LIMIT' },
  { what: 'droplet uploads per user per minute', key: 'dropletUploadRateLimit', env: 'TASKD_DROPLET_UPLOAD_RATE_LIMIT' },
  { what: 'runner slots', key: 'runnerSlots', env: 'TASKD_RUNNER_SLOTS' },
  {
    what: 'slots reserved for orgs with nothing running',
    key: 'runnerReservedSlots',
    env: 'TASKD_RUNNER_RESERVED_SLOTS',
    unset: 'a quarter of the slots, rounded down',
  },
  { what: 'running tasks per org', key: 'orgRunningTasksLimit', env: 'TASKD_ORG_RUNNING_TASKS_LIMIT' },
  { what: 'running tasks per space', key: 'spaceRunningTasksLimit', env: 'TASKD_SPACE_RUNNING_TASKS_LIMIT' },
  { what: 'default task timeout (s)', key: 'defaultTaskTimeoutSeconds', env: 'TASKD_DEFAULT_TASK_TIMEOUT_SECONDS' },
  { what: 'stored output per task (bytes)', key: 'taskOutputMaxBytes', env: 'TASKD_TASK_OUTPUT_MAX_BYTES' },
  { what: 'stored output per task (lines)', key: 'taskOutputMaxLines', env: 'TASKD_TASK_OUTPUT_MAX_LINES' },
  { what: 'stored output per org (MiB)', key: 'orgOutputMaxMb', env: 'TASKD_ORG_OUTPUT_MAX_MB' },
  { what: 'droplets kept per app', key: 'dropletsPerApp', env: 'TASKD_DROPLETS_PER_APP' },
  { what: 'droplets awaiting upload per app', key: 'dropletsAwaitingUploadPerApp', env: 'TASKD_DROPLETS_AWAITING_UPLOAD_PER_APP' },
  { what: 'droplet disk per org (MiB)', key: 'orgDropletMaxMb', env: 'TASKD_ORG_DROPLET_MAX_MB' },
  { what: 'log rate limit (bytes/s, -1: none)', key: 'defaultLogRateLimit', env: 'TASKD_DEFAULT_LOG_RATE_LIMIT' },
  { what: 'vSphere sessions per user', key: 'vsphereSessionsPerUser', env: 'TASKD_VSPHERE_SESSIONS_PER_USER' },
  {
    what: 'failed logins per username from every address (past it, each waits longer)',
    key: 'loginFailureLimit',
    env: 'TASKD_LOGIN_FAILURE_LIMIT',
  },
  { what: 'failed logins per address', key: 'loginFailureLimitPerAddress', env: 'TASKD_LOGIN_FAILURE_LIMIT_PER_ADDRESS' },
  {
    what: 'wrong passwords for a user from one address before each waits longer',
    key: 'loginFreeFailures',
    env: 'TASKD_LOGIN_FREE_FAILURES',
  },
  { what: 'longest wait of a throttled login (s)', key: 'loginMaxDelaySeconds', env: 'TASKD_LOGIN_MAX_DELAY_SECONDS' },
  { what: 'shortest password', key: 'passwordMinLength', env: 'TASKD_PASSWORD_MIN_LENGTH' },
];

export interface Settings {
  /** The environment taskd runs with (beyond its data directory and store). */
  env: Record<string, string>;
  /** Why each explicit setting is there. */
  reasons: Record<string, string>;
}

/** The check's explicit settings: only budgets its minutes could not reach at their defaults. */
export function explicitSettings(quick: boolean): Settings {
  const reasons: Record<string, string> = {
    // One org's output budget (1 GiB by default) and droplet budget (2 GiB) are reachable only in
    // far more than the check's minutes; at 64 MiB each, exceeding them is quick and plain to see.
    TASKD_ORG_OUTPUT_MAX_MB: '64 (default 1024): reachable within the check',
    TASKD_ORG_DROPLET_MAX_MB: '64 (default 2048): reachable within the check',
  };
  const env: Record<string, string> = { TASKD_ORG_OUTPUT_MAX_MB: '64', TASKD_ORG_DROPLET_MAX_MB: '64' };
  if (quick) {
    // Ten thousand streams take more than the quick check's seconds to open on a small machine.
    env.TASKD_MAX_CONNECTIONS = '500';
    reasons.TASKD_MAX_CONNECTIONS = '500 (default 10000): the quick check opens 700 streams, not 10,500';
  }
  return { env, reasons };
}

/** taskd's configuration with these settings, as taskd itself reads it. */
export function effectiveConfig(settings: Settings): Record<string, unknown> {
  return loadConfig({ env: settings.env }) as unknown as Record<string, unknown>;
}

/** One line per limit: its value here, and whether the check set it. */
export function limitLines(settings: Settings): string[] {
  const config = effectiveConfig(settings);
  return LIMITS.map((l) => {
    if (!CONFIG_SOURCE.includes(`'${l.env}'`)) return `${l.what}: not a setting of this taskd (${l.env})`;
    const value = config[l.key];
    const set = settings.reasons[l.env];
    const shown = value === undefined ? `unset${l.unset ? `: ${l.unset}` : ''}` : String(value);
    return `${l.what}: ${shown} (${l.env}${set ? `, set by the check: ${set}` : ', default'})`;
  });
}

/** The slots the runner has, for sizing the long tasks that fill them. */
export function runnerSlots(settings: Settings): number {
  return (effectiveConfig(settings) as unknown as Config).runnerSlots;
}

export interface DiskAllowance {
  /** Bytes the tenants' data may add to the store and data directory. */
  bytes: number;
  /** How it adds up, in words. */
  parts: string;
}

/**
 * What the two orgs may store: each org's output budget plus its droplet budget, as configured
 * (the values the check asked for count even where this taskd does not know the setting: an
 * operator asked for them). The store's own overhead (indexes, SQLite's write-ahead log, free
 * pages not yet given back) is allowed on top: a quarter of that, plus 16 MiB.
 */
export function diskAllowance(settings: Settings, orgs: number): DiskAllowance {
  const config = effectiveConfig(settings);
  const mb = (key: string, env: string) => Number(config[key] ?? settings.env[env]);
  const output = mb('orgOutputMaxMb', 'TASKD_ORG_OUTPUT_MAX_MB');
  const droplets = mb('orgDropletMaxMb', 'TASKD_ORG_DROPLET_MAX_MB');
  const budgets = orgs * (output + droplets) * MiB;
  const overhead = budgets / 4 + 16 * MiB;
  return {
    bytes: budgets + overhead,
    parts: `${orgs} orgs × (${output} MiB output + ${droplets} MiB droplets) = ${budgets / MiB} MiB, + ${overhead / MiB} MiB store overhead`,
  };
}

/**
 * What the running tasks' disks may take: each slot's task its disk_in_mb, at most the maximum
 * (allocated up front in run/, given back when the task ends), plus 16 MiB for the supervisor's
 * own files.
 */
export function scratchAllowance(settings: Settings): DiskAllowance {
  const config = effectiveConfig(settings) as unknown as Config;
  return {
    bytes: (config.runnerSlots * config.maximumDiskInMb + 16) * MiB,
    parts: `${config.runnerSlots} slots × ${config.maximumDiskInMb} MiB (the largest disk_in_mb) + 16 MiB`,
  };
}
