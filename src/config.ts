// taskd's settings: defaults, then an optional JSON config file, then TASKD_* environment
// variables, then `taskd serve` flags. A bad value is a ConfigError naming the setting, which the
// CLI prints as one line before exiting with status 2.
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import path from 'node:path';
import { probeBwrap } from './runner/sandbox/detect.js';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** A postgres:// URL selects PostgreSQL; undefined means SQLite in the data directory. */
  databaseUrl?: string;
  adminPassword?: string;
  /** Base for links in responses; undefined means the request's own scheme and host. */
  externalUrl?: string;
  maxBundleBytes: number;
  maxBodyBytes: number;
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
  /** Users (besides `vcap`) that a task may ask to run as. */
  allowedTaskUsers: string[];
  defaultMemoryInMb: number;
  defaultDiskInMb: number;
  maximumDiskInMb: number;
  /**
   * The largest `memory_in_mb` a task may have, whether asked for, taken from its template process
   * or the default. Default: this host's memory (see loadConfig).
   */
  maximumMemoryInMb: number;
  defaultLogRateLimit: number;
  /** How many tasks this node runs at once; 0 makes it a node that serves the API only. */
  runnerSlots: number;
  /** taskd's `timeout_in_seconds` of a task created without one; undefined: no timeout. */
  defaultTaskTimeoutSeconds?: number;
  /** The largest `timeout_in_seconds` a task may ask for; undefined: no maximum. */
  maximumTaskTimeoutSeconds?: number;
  /** Most processes a task's group may hold at once (a fork bomb ends there). */
  taskMaxProcesses: number;
  /** Between SIGTERM and SIGKILL when a task is cancelled. */
  cancelGraceSeconds: number;
  /** A runner whose heartbeat is older than this counts as gone. */
  runnerLeaseSeconds: number;
  /** SUCCEEDED and FAILED tasks are deleted this many days after their last change (CF's default). */
  completedTasksCutoffDays: number;
  /** How often an idle live log stream (SSE) gets a keep-alive comment. */
  logStreamHeartbeatSeconds: number;
  /**
   * The host user and group tasks run as when taskd runs as root: an unprivileged uid of their
   * own (inside the sandbox they are uid 2000, `vcap`). Not root; unused by taskd as any other user.
   */
  taskUid: number;
  taskGid: number;
  /** CPU cores one task may use at most (a cgroup quota); its share beside others follows its memory. */
  taskCpuCores: number;
  /** How tasks are isolated: bubblewrap if it works here (auto), bubblewrap or fail, or none. */
  sandbox: 'auto' | 'bwrap' | 'none';
  /** 'off': sandboxed tasks get no network at all (not even loopback) on this node. */
  taskNetwork: 'on' | 'off';
  /**
   * What this node does: 'api' serves the APIs and runs no tasks; 'runner' runs tasks and serves
   * only the health and metrics endpoints; 'all' does both (one machine).
   */
  role: 'all' | 'api' | 'runner';
  /** Memory (MB) this node's tasks may ask for together; undefined: only the slots bound them. */
  runnerMemoryMb?: number;
  /** Tasks one user may create per minute (a token bucket: bursts up to this many); 0: no limit. */
  taskCreateRateLimit: number;
  /** Failed logins per username within the window; 0: no limit. */
  loginFailureLimit: number;
  /** Failed logins per client address (whatever the usernames) within the window; 0: no limit. */
  loginFailureLimitPerAddress: number;
  loginFailureWindowSeconds: number;
  /** Whole request (headers and body) must arrive within this; bounds slow uploads and slow bodies. */
  requestTimeoutSeconds: number;
  /** Request headers must arrive within this (slowloris). */
  headersTimeoutSeconds: number;
  /** A socket with no traffic either way for this long is closed (stalled readers and writers). */
  idleSocketTimeoutSeconds: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutSeconds: number;
  /** Open connections this node accepts at once; beyond it new ones are closed at once. */
  maxConnections: number;
  /** A static bearer token that may read /metrics (a Prometheus scrape); undefined: only users' tokens. */
  metricsToken?: string;
  /**
   * Where a separate listener serves /metrics without any credential (an interface tasks cannot
   * reach); the main listener then has no /metrics. Undefined: /metrics on the main listener.
   */
  metricsAddress?: { host: string; port: number };
}

export class ConfigError extends Error {}

/** Whether this node runs tasks: not an API-only node, and with slots to run them in. */
export const runsTasks = (config: Pick<Config, 'role' | 'runnerSlots'>): boolean => config.role !== 'api' && config.runnerSlots > 0;

/** Whether this node serves the task APIs (a runner-only node serves health and metrics only). */
export const servesApi = (config: Pick<Config, 'role'>): boolean => config.role !== 'runner';

/** Every default but the memory maximum, which loadConfig takes from the host. */
export const defaultConfig: Omit<Config, 'maximumMemoryInMb'> = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './.taskd',
  maxBundleBytes: 1024 * 1024 * 1024,
  maxBodyBytes: 1024 * 1024,
  accessTokenSeconds: 1200,
  refreshTokenSeconds: 30 * 24 * 3600,
  allowedTaskUsers: [],
  defaultMemoryInMb: 1024,
  defaultDiskInMb: 1024,
  maximumDiskInMb: 2048,
  defaultLogRateLimit: -1,
  runnerSlots: 4,
  taskMaxProcesses: 1024,
  // Cloud Foundry's vcap uid; an operator whose host has a user 2000 picks another.
  taskUid: 2000,
  taskGid: 2000,
  // One task never takes every core: taskd and the other tasks keep at least one.
  taskCpuCores: Math.max(1, availableParallelism() - 1),
  cancelGraceSeconds: 10,
  runnerLeaseSeconds: 15,
  completedTasksCutoffDays: 31,
  logStreamHeartbeatSeconds: 15,
  sandbox: 'auto',
  taskNetwork: 'on',
  role: 'all',
  taskCreateRateLimit: 600,
  loginFailureLimit: 10,
  loginFailureLimitPerAddress: 100,
  loginFailureWindowSeconds: 300,
  // Long enough for a 1 GB bundle upload on a slow link; slow API bodies are small and end sooner.
  requestTimeoutSeconds: 300,
  headersTimeoutSeconds: 10,
  // Above the live log stream's heartbeat (15 s), so an idle follower is never cut.
  idleSocketTimeoutSeconds: 60,
  keepAliveTimeoutSeconds: 5,
  maxConnections: 10_000,
};

type Kind =
  | 'string'
  | 'secret'
  | 'address'
  | 'port'
  | 'positive'
  | 'count'
  | 'integer'
  | 'cores'
  | 'url'
  | 'postgres'
  | 'list'
  | 'sandbox'
  | 'onoff'
  | 'role';

const CHOICES: Partial<Record<Kind, string[]>> = {
  sandbox: ['auto', 'bwrap', 'none'],
  onoff: ['on', 'off'],
  role: ['all', 'api', 'runner'],
};

/** Every setting: its config-file key, environment variable and the kind of value it takes. */
const settings: { key: keyof Config; env: string; kind: Kind }[] = [
  { key: 'host', env: 'TASKD_HOST', kind: 'string' },
  { key: 'port', env: 'TASKD_PORT', kind: 'port' },
  { key: 'dataDir', env: 'TASKD_DATA_DIR', kind: 'string' },
  { key: 'databaseUrl', env: 'TASKD_DATABASE_URL', kind: 'postgres' },
  { key: 'adminPassword', env: 'TASKD_ADMIN_PASSWORD', kind: 'string' },
  { key: 'externalUrl', env: 'TASKD_EXTERNAL_URL', kind: 'url' },
  { key: 'maxBundleBytes', env: 'TASKD_MAX_BUNDLE_BYTES', kind: 'positive' },
  { key: 'maxBodyBytes', env: 'TASKD_MAX_BODY_BYTES', kind: 'positive' },
  { key: 'accessTokenSeconds', env: 'TASKD_ACCESS_TOKEN_SECONDS', kind: 'positive' },
  { key: 'refreshTokenSeconds', env: 'TASKD_REFRESH_TOKEN_SECONDS', kind: 'positive' },
  { key: 'allowedTaskUsers', env: 'TASKD_ALLOWED_TASK_USERS', kind: 'list' },
  { key: 'defaultMemoryInMb', env: 'TASKD_DEFAULT_MEMORY_IN_MB', kind: 'positive' },
  { key: 'defaultDiskInMb', env: 'TASKD_DEFAULT_DISK_IN_MB', kind: 'positive' },
  { key: 'maximumDiskInMb', env: 'TASKD_MAXIMUM_DISK_IN_MB', kind: 'positive' },
  { key: 'maximumMemoryInMb', env: 'TASKD_MAXIMUM_MEMORY_IN_MB', kind: 'positive' },
  { key: 'defaultLogRateLimit', env: 'TASKD_DEFAULT_LOG_RATE_LIMIT', kind: 'integer' },
  { key: 'runnerSlots', env: 'TASKD_RUNNER_SLOTS', kind: 'count' },
  { key: 'cancelGraceSeconds', env: 'TASKD_CANCEL_GRACE_SECONDS', kind: 'count' },
  { key: 'defaultTaskTimeoutSeconds', env: 'TASKD_DEFAULT_TASK_TIMEOUT_SECONDS', kind: 'positive' },
  { key: 'maximumTaskTimeoutSeconds', env: 'TASKD_MAXIMUM_TASK_TIMEOUT_SECONDS', kind: 'positive' },
  { key: 'taskMaxProcesses', env: 'TASKD_TASK_MAX_PROCESSES', kind: 'positive' },
  { key: 'taskUid', env: 'TASKD_TASK_UID', kind: 'positive' },
  { key: 'taskGid', env: 'TASKD_TASK_GID', kind: 'positive' },
  { key: 'taskCpuCores', env: 'TASKD_TASK_CPU_CORES', kind: 'cores' },
  { key: 'runnerLeaseSeconds', env: 'TASKD_RUNNER_LEASE_SECONDS', kind: 'positive' },
  { key: 'completedTasksCutoffDays', env: 'TASKD_COMPLETED_TASKS_CUTOFF_DAYS', kind: 'positive' },
  { key: 'logStreamHeartbeatSeconds', env: 'TASKD_LOG_STREAM_HEARTBEAT_SECONDS', kind: 'positive' },
  { key: 'sandbox', env: 'TASKD_SANDBOX', kind: 'sandbox' },
  { key: 'taskNetwork', env: 'TASKD_TASK_NETWORK', kind: 'onoff' },
  { key: 'role', env: 'TASKD_ROLE', kind: 'role' },
  { key: 'runnerMemoryMb', env: 'TASKD_RUNNER_MEMORY_MB', kind: 'positive' },
  { key: 'taskCreateRateLimit', env: 'TASKD_TASK_CREATE_RATE_LIMIT', kind: 'count' },
  { key: 'loginFailureLimit', env: 'TASKD_LOGIN_FAILURE_LIMIT', kind: 'count' },
  { key: 'loginFailureLimitPerAddress', env: 'TASKD_LOGIN_FAILURE_LIMIT_PER_ADDRESS', kind: 'count' },
  { key: 'loginFailureWindowSeconds', env: 'TASKD_LOGIN_FAILURE_WINDOW_SECONDS', kind: 'positive' },
  { key: 'requestTimeoutSeconds', env: 'TASKD_REQUEST_TIMEOUT_SECONDS', kind: 'positive' },
  { key: 'headersTimeoutSeconds', env: 'TASKD_HEADERS_TIMEOUT_SECONDS', kind: 'positive' },
  { key: 'idleSocketTimeoutSeconds', env: 'TASKD_IDLE_SOCKET_TIMEOUT_SECONDS', kind: 'positive' },
  { key: 'keepAliveTimeoutSeconds', env: 'TASKD_KEEP_ALIVE_TIMEOUT_SECONDS', kind: 'positive' },
  { key: 'maxConnections', env: 'TASKD_MAX_CONNECTIONS', kind: 'positive' },
  { key: 'metricsToken', env: 'TASKD_METRICS_TOKEN', kind: 'secret' },
  { key: 'metricsAddress', env: 'TASKD_METRICS_ADDRESS', kind: 'address' },
];

export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Flag values keyed like the config file (camelCase); undefined entries are ignored. */
  flags?: Partial<Record<keyof Config, unknown>>;
  /** The host's memory in MB, in place of the real one (tests). */
  hostMemoryMb?: number;
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const config: Record<string, unknown> = { ...defaultConfig };
  const file = sources.file ?? env.TASKD_CONFIG;
  if (file) Object.assign(config, readConfigFile(file));
  for (const s of settings) {
    const raw = env[s.env];
    if (raw !== undefined && raw !== '') config[s.key] = parseSetting(s.env, s.kind, raw);
  }
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    const s = settings.find((x) => x.key === key);
    if (s && value !== undefined) config[key] = parseSetting(`--${kebab(key)}`, s.kind, value);
  }
  const result = config as unknown as Config;
  result.dataDir = path.resolve(result.dataDir);
  if (result.maximumDiskInMb < result.defaultDiskInMb) {
    throw new ConfigError(
      `TASKD_DEFAULT_DISK_IN_MB (${result.defaultDiskInMb}) must not exceed TASKD_MAXIMUM_DISK_IN_MB (${result.maximumDiskInMb})`,
    );
  }
  result.maximumMemoryInMb ??= defaultMaximumMemoryInMb(result, sources.hostMemoryMb ?? Math.floor(totalmem() / (1024 * 1024)));
  if (result.maximumMemoryInMb < result.defaultMemoryInMb) {
    throw new ConfigError(
      `TASKD_DEFAULT_MEMORY_IN_MB (${result.defaultMemoryInMb}) must not exceed TASKD_MAXIMUM_MEMORY_IN_MB (${result.maximumMemoryInMb})`,
    );
  }
  // On the separate listener /metrics needs no credential: a token there would protect nothing.
  if (result.metricsAddress !== undefined && result.metricsToken !== undefined) {
    throw new ConfigError(
      'TASKD_METRICS_TOKEN has no use with TASKD_METRICS_ADDRESS (metrics there need no credential): set one or the other',
    );
  }
  const { defaultTaskTimeoutSeconds: timeout, maximumTaskTimeoutSeconds: maxTimeout } = result;
  if (timeout !== undefined && maxTimeout !== undefined && timeout > maxTimeout) {
    throw new ConfigError(
      `TASKD_DEFAULT_TASK_TIMEOUT_SECONDS (${timeout}) must not exceed TASKD_MAXIMUM_TASK_TIMEOUT_SECONDS (${maxTimeout})`,
    );
  }
  // Asked for explicitly, bubblewrap must work: start-up fails rather than run tasks unsandboxed.
  if (result.sandbox === 'bwrap') {
    const found = probeBwrap();
    if (!found.usable) throw new ConfigError(`TASKD_SANDBOX=bwrap, but ${found.reason}`);
  }
  return result;
}

/**
 * No task may ask for more memory than this host has; on a node that runs tasks within
 * TASKD_RUNNER_MEMORY_MB, no more than that either, since a bigger task would wait for room here
 * forever. Never below the default memory, though: on a host with less than the default (1024 MB)
 * taskd must still start with its defaults, so there the maximum is the default, which the host
 * cannot fully back.
 */
function defaultMaximumMemoryInMb(config: Config, hostMemoryMb: number): number {
  const capacity = runsTasks(config) && config.runnerMemoryMb !== undefined ? Math.min(hostMemoryMb, config.runnerMemoryMb) : hostMemoryMb;
  return Math.max(capacity, config.defaultMemoryInMb);
}

function readConfigFile(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`config file ${file}: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file}: must hold a JSON object`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    const s = settings.find((x) => x.key === key);
    if (!s) throw new ConfigError(`config file ${file}: unknown setting '${key}'`);
    out[key] = parseSetting(`${key} in ${file}`, s.kind, value);
  }
  return out;
}

function parseSetting(name: string, kind: Kind, raw: unknown): unknown {
  const text = Array.isArray(raw) && kind === 'list' ? raw.join(',') : String(raw);
  switch (kind) {
    case 'string':
      if (text === '') throw new ConfigError(`${name} must not be empty`);
      return text;
    case 'secret':
      // Never echoed: the message would print the secret into a log.
      if (!/^\S{16,}$/.test(text)) throw new ConfigError(`${name} must be at least 16 characters, without spaces`);
      return text;
    case 'address': {
      // host:port, an IPv6 host in brackets: [::1]:9100.
      const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d+)$/.exec(text);
      if (!m || Number(m[3]) > 65535) throw new ConfigError(`${name} must be host:port (an IPv6 host in brackets), got '${text}'`);
      return { host: m[1] ?? m[2]!, port: Number(m[3]) };
    }
    case 'port': {
      const n = Number(text);
      if (!/^\d+$/.test(text) || n > 65535) throw new ConfigError(`${name} must be a port number from 0 to 65535, got '${text}'`);
      return n;
    }
    case 'positive': {
      if (!/^\d+$/.test(text) || Number(text) < 1) throw new ConfigError(`${name} must be a positive integer, got '${text}'`);
      return Number(text);
    }
    case 'count': {
      if (!/^\d+$/.test(text)) throw new ConfigError(`${name} must be a whole number (0 or more), got '${text}'`);
      return Number(text);
    }
    case 'cores': {
      // Whole or fractional cores, to a hundredth: the quota is microseconds per 100 ms period.
      if (!/^\d+(\.\d{1,2})?$/.test(text) || Number(text) <= 0)
        throw new ConfigError(`${name} must be a positive number of CPU cores (e.g. 1 or 0.5), got '${text}'`);
      return Number(text);
    }
    case 'integer': {
      if (!/^-?\d+$/.test(text)) throw new ConfigError(`${name} must be an integer, got '${text}'`);
      return Number(text);
    }
    case 'url': {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        throw new ConfigError(`${name} must be an http(s) URL, got '${text}'`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${name} must be an http(s) URL, got '${text}'`);
      return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
    }
    case 'postgres': {
      if (!/^postgres(ql)?:\/\//.test(text))
        throw new ConfigError(`${name} must be a postgres:// URL (leave it unset for embedded SQLite)`);
      try {
        new URL(text);
      } catch {
        throw new ConfigError(`${name} is not a valid URL`);
      }
      return text;
    }
    case 'list':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'sandbox':
    case 'onoff':
    case 'role':
      if (!CHOICES[kind]!.includes(text)) throw new ConfigError(`${name} must be one of ${CHOICES[kind]!.join(', ')}, got '${text}'`);
      return text;
  }
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
