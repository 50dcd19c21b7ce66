// taskd's settings: defaults, then an optional JSON config file, then TASKD_* environment
// variables, then `taskd serve` flags. A bad value is a ConfigError naming the setting, which the
// CLI prints as one line before exiting with status 2.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import { availableParallelism, totalmem } from 'node:os';
import path from 'node:path';
import { probeBwrap } from './runner/sandbox/detect.js';
import { parseUaaClients, UaaClientsProblem, type UaaClient } from './auth/uaa-clients.js';
import { refuseWiderThanOwnerOnly, UnsafeFileMode } from './store/file-modes.js';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** A postgres:// URL selects PostgreSQL; undefined means SQLite in the data directory. */
  databaseUrl?: string;
  /** The password of the admin user made on first start (never a command-line flag: `ps` shows those). */
  adminPassword?: string;
  /** A file holding the admin password (its first line), e.g. a secret mounted by the orchestrator. */
  adminPasswordFile?: string;
  /** The shortest password a user may be given (create, change, reset, the admin's). */
  passwordMinLength: number;
  /** The longest: scrypt's input is bounded, so a megabyte "password" costs no more than any other. */
  passwordMaxLength: number;
  /** Base for links in responses; undefined means the request's own scheme and host. */
  externalUrl?: string;
  /**
   * The 32-byte key that encrypts the token signing keys in the database (made 0600 on first start);
   * undefined: `<dataDir>/secret.key`. Every node sharing a database needs the same file.
   */
  secretKeyFile?: string;
  /**
   * A JSON file of OAuth clients for scripts and CI (the client_credentials grant):
   * `[{"client_id", "client_secret", "authorities": [...]}]`; 0600, as it holds secrets.
   */
  uaaClientsFile?: string;
  /** The clients read from uaaClientsFile at start (none without one). */
  uaaClients: UaaClient[];
  /** A new token signing key is made when the newest is older than this; older keys verify until their tokens expire. */
  signingKeyRotationDays: number;
  /** PEM certificate (chain) and private key: with both, taskd serves HTTPS (and HSTS) on its port. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  maxBundleBytes: number;
  /**
   * Droplets kept per app besides its current one (Cloud Controller's max_staged_droplets_stored):
   * when a new one is staged, older STAGED and FAILED ones beyond this are deleted with their bits,
   * except any that an unfinished task runs.
   */
  dropletsPerApp: number;
  /**
   * Droplets one app may have awaiting their upload at once; another create is refused (422) until
   * one is uploaded or deleted. 0: no limit.
   */
  dropletsAwaitingUploadPerApp: number;
  /** Disk (MB) all droplets of one organization may take, expanded trees and stored bundles together. */
  orgDropletMaxMb: number;
  /** Longest an app's environment variables may be, in characters as JSON (so a task's environment stays small). */
  maxAppEnvChars: number;
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
  /** Most bytes of output one task keeps; what it writes beyond is dropped (it runs on), and it is told once. */
  taskOutputMaxBytes: number;
  /** Most lines of output one task keeps (each stored line costs a row, however short). */
  taskOutputMaxLines: number;
  /** Most MiB of task output one organization keeps over all its tasks; beyond, its tasks' new output is dropped. */
  orgOutputMaxMb: number;
  /** Most messages a task keeps; a task's own message beyond is refused (422). taskd's own messages are never refused. */
  taskMaxMessages: number;
  /** How many tasks this node runs at once; 0 makes it a node that serves the API only. */
  runnerSlots: number;
  /**
   * Of this node's free slots, how many only an organization with no task running anywhere may
   * take: a quiet tenant finds a slot at once however long another's tasks run. Undefined: a
   * quarter of the slots, rounded down (1 of the default 4); see reservedSlots.
   */
  runnerReservedSlots?: number;
  /**
   * Tasks one organization may have running at once over all nodes (paused ones included); the
   * rest wait PENDING for their turn. 0: no limit.
   */
  orgRunningTasksLimit: number;
  /** The same for one space; 0: no limit. */
  spaceRunningTasksLimit: number;
  /**
   * taskd's `timeout_in_seconds` of a task created without one. Undefined in the defaults: a day,
   * or the maximum when that is lower (loadConfig), so a forgotten task gives its slot back.
   */
  defaultTaskTimeoutSeconds?: number;
  /** The largest `timeout_in_seconds` a task may ask for. */
  maximumTaskTimeoutSeconds: number;
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
  /** 'on': a JSON line on stdout for every request answered (for a log collector); off by default. */
  requestLog: 'on' | 'off';
  /** Memory (MB) this node's tasks may ask for together; undefined: only the slots bound them. */
  runnerMemoryMb?: number;
  /** Tasks one user may create per minute (a token bucket: bursts up to this many); 0: no limit. */
  taskCreateRateLimit: number;
  /**
   * Droplet uploads one user may make per minute (a token bucket, as for creates); 0: no limit.
   * Each upload is expanded on this node: uploads in a loop took most of a core from everyone.
   */
  dropletUploadRateLimit: number;
  /**
   * Failed logins for one username from all addresses together within the window before that
   * username is slowed down (1 s more per failure, up to loginMaxDelaySeconds) from every address
   * it has not logged in from: a guess spread over many addresses. 0: no such limit.
   */
  loginFailureLimit: number;
  /** Failed logins per client address (whatever the usernames) within the window (password spraying); 0: no limit. */
  loginFailureLimitPerAddress: number;
  loginFailureWindowSeconds: number;
  /** Wrong passwords for one username from one address before each further one waits (1 s, 2 s, 4 s, …); 0: no delays. */
  loginFreeFailures: number;
  /** The longest a login waits after failures, whichever limit set the wait. */
  loginMaxDelaySeconds: number;
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
  /**
   * Open connections one client address may hold (an IPv6 client: its /64); behind a trusted proxy,
   * requests in progress per forwarded client address instead. Keeps one address from taking the
   * node's maxConnections from everyone.
   */
  maxConnectionsPerAddress: number;
  /** Requests one user may have in progress at once (live log streams are counted on their own). */
  maxConcurrentRequestsPerUser: number;
  /**
   * Of those, how many are worked on at once; the others wait their turn (request-turns.ts), so
   * a busy node divides its time between users rather than between requests.
   */
  activeRequestsPerUser: number;
  /**
   * Requests of one user started per second at most, with a burst of two seconds' worth; the
   * others wait (request-turns.ts). 0: no pace. Operators (admin scope) are not paced.
   */
  requestsPerSecondPerUser: number;
  /** Live log streams (SSE) one user may hold open at once on this node. */
  maxStreamsPerUser: number;
  /**
   * Reverse proxies (addresses or CIDRs) whose X-Forwarded-For, -Proto and -Host are believed;
   * from anyone else they are ignored. Empty: every client talks to taskd directly.
   */
  trustedProxies: string[];
  /** A vSphere session unused for this long ends (vCenter's 30 minutes). */
  vsphereSessionIdleSeconds: number;
  /** A vSphere session ends this long after it was opened, however busy. */
  vsphereSessionMaxAgeSeconds: number;
  /** Live vSphere sessions one user may hold; one more login is refused until one ends. */
  vsphereSessionsPerUser: number;
  /** A static bearer token that may read /metrics (a Prometheus scrape); undefined: only users' tokens. */
  metricsToken?: string;
  /**
   * Where a separate listener serves /metrics without any credential (an interface tasks cannot
   * reach); the main listener then has no /metrics. Undefined: /metrics on the main listener.
   */
  metricsAddress?: { host: string; port: number };
}

export class ConfigError extends Error {}

/** A task created without a timeout ends after a day unless the operator says otherwise. */
export const DEFAULT_TASK_TIMEOUT_SECONDS = 24 * 3600;

/** The node's slots kept for organizations with nothing running (runnerReservedSlots, resolved). */
export const reservedSlots = (config: Pick<Config, 'runnerSlots' | 'runnerReservedSlots'>): number =>
  Math.min(config.runnerReservedSlots ?? Math.floor(config.runnerSlots / 4), Math.max(0, config.runnerSlots - 1));

/** Whether this node runs tasks: not an API-only node, and with slots to run them in. */
export const runsTasks = (config: Pick<Config, 'role' | 'runnerSlots'>): boolean => config.role !== 'api' && config.runnerSlots > 0;

/** Whether this node serves the task APIs (a runner-only node serves health and metrics only). */
export const servesApi = (config: Pick<Config, 'role'>): boolean => config.role !== 'runner';

/** Every default but the memory maximum, which loadConfig takes from the host. */
export const defaultConfig: Omit<Config, 'maximumMemoryInMb'> = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './.taskd',
  // NIST SP 800-63B asks at least 8 and allows long passphrases; 12 is OWASP's and UAA's advice.
  passwordMinLength: 12,
  passwordMaxLength: 1024,
  uaaClients: [],
  maxBundleBytes: 1024 * 1024 * 1024,
  dropletsPerApp: 5,
  dropletsAwaitingUploadPerApp: 20,
  orgDropletMaxMb: 2048,
  maxAppEnvChars: 65_536,
  maxBodyBytes: 1024 * 1024,
  accessTokenSeconds: 1200,
  refreshTokenSeconds: 30 * 24 * 3600,
  allowedTaskUsers: [],
  defaultMemoryInMb: 1024,
  defaultDiskInMb: 1024,
  maximumDiskInMb: 2048,
  defaultLogRateLimit: -1,
  // Output budgets: a flooding task stops costing disk at 16 MiB or 100,000 lines, an org at 1 GiB.
  taskOutputMaxBytes: 16 * 1024 * 1024,
  taskOutputMaxLines: 100_000,
  orgOutputMaxMb: 1024,
  taskMaxMessages: 100,
  runnerSlots: 4,
  // Cluster-wide: far above one node's 4 slots (where the reserved slot keeps a quiet tenant's
  // turn), yet on a shared cluster no org holds more than 50 slots, nor one space half of that.
  orgRunningTasksLimit: 50,
  spaceRunningTasksLimit: 25,
  // A week: room for the longest batch job, while nothing holds a slot forever.
  maximumTaskTimeoutSeconds: 7 * 24 * 3600,
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
  // A person running taskd in a terminal reads its start-up lines and errors; a line per request
  // buried those (2,000 lines in 12 minutes of light use). Errors reach stderr either way.
  requestLog: 'off',
  taskCreateRateLimit: 600,
  dropletUploadRateLimit: 60,
  // No hard lock on a username: an attacker elsewhere must not be able to lock its owner out.
  loginFailureLimit: 100,
  loginFailureLimitPerAddress: 100,
  loginFailureWindowSeconds: 300,
  loginFreeFailures: 5,
  loginMaxDelaySeconds: 300,
  // Long enough for a 1 GB bundle upload on a slow link; slow API bodies are small and end sooner.
  requestTimeoutSeconds: 300,
  headersTimeoutSeconds: 10,
  // Above the live log stream's heartbeat (15 s), so an idle follower is never cut.
  idleSocketTimeoutSeconds: 60,
  keepAliveTimeoutSeconds: 5,
  maxConnections: 10_000,
  signingKeyRotationDays: 30,
  // Forty addresses are needed to fill maxConnections, and the probes keep a reserve besides.
  maxConnectionsPerAddress: 256,
  maxConcurrentRequestsPerUser: 100,
  activeRequestsPerUser: 4,
  requestsPerSecondPerUser: 100,
  maxStreamsPerUser: 50,
  trustedProxies: [],
  vsphereSessionIdleSeconds: 1800,
  vsphereSessionMaxAgeSeconds: 8 * 3600,
  vsphereSessionsPerUser: 20,
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
  | 'proxies'
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
  { key: 'adminPasswordFile', env: 'TASKD_ADMIN_PASSWORD_FILE', kind: 'string' },
  { key: 'passwordMinLength', env: 'TASKD_PASSWORD_MIN_LENGTH', kind: 'positive' },
  { key: 'passwordMaxLength', env: 'TASKD_PASSWORD_MAX_LENGTH', kind: 'positive' },
  { key: 'externalUrl', env: 'TASKD_EXTERNAL_URL', kind: 'url' },
  { key: 'secretKeyFile', env: 'TASKD_SECRET_KEY_FILE', kind: 'string' },
  { key: 'uaaClientsFile', env: 'TASKD_UAA_CLIENTS_FILE', kind: 'string' },
  { key: 'signingKeyRotationDays', env: 'TASKD_SIGNING_KEY_ROTATION_DAYS', kind: 'positive' },
  { key: 'tlsCertFile', env: 'TASKD_TLS_CERT_FILE', kind: 'string' },
  { key: 'tlsKeyFile', env: 'TASKD_TLS_KEY_FILE', kind: 'string' },
  { key: 'maxBundleBytes', env: 'TASKD_MAX_BUNDLE_BYTES', kind: 'positive' },
  { key: 'dropletsPerApp', env: 'TASKD_DROPLETS_PER_APP', kind: 'positive' },
  { key: 'dropletsAwaitingUploadPerApp', env: 'TASKD_DROPLETS_AWAITING_UPLOAD_PER_APP', kind: 'count' },
  { key: 'orgDropletMaxMb', env: 'TASKD_ORG_DROPLET_MAX_MB', kind: 'positive' },
  { key: 'maxAppEnvChars', env: 'TASKD_MAX_APP_ENV_CHARS', kind: 'positive' },
  { key: 'maxBodyBytes', env: 'TASKD_MAX_BODY_BYTES', kind: 'positive' },
  { key: 'accessTokenSeconds', env: 'TASKD_ACCESS_TOKEN_SECONDS', kind: 'positive' },
  { key: 'refreshTokenSeconds', env: 'TASKD_REFRESH_TOKEN_SECONDS', kind: 'positive' },
  { key: 'allowedTaskUsers', env: 'TASKD_ALLOWED_TASK_USERS', kind: 'list' },
  { key: 'defaultMemoryInMb', env: 'TASKD_DEFAULT_MEMORY_IN_MB', kind: 'positive' },
  { key: 'defaultDiskInMb', env: 'TASKD_DEFAULT_DISK_IN_MB', kind: 'positive' },
  { key: 'maximumDiskInMb', env: 'TASKD_MAXIMUM_DISK_IN_MB', kind: 'positive' },
  { key: 'maximumMemoryInMb', env: 'TASKD_MAXIMUM_MEMORY_IN_MB', kind: 'positive' },
  { key: 'defaultLogRateLimit', env: 'TASKD_DEFAULT_LOG_RATE_LIMIT', kind: 'integer' },
  { key: 'taskOutputMaxBytes', env: 'TASKD_TASK_OUTPUT_MAX_BYTES', kind: 'positive' },
  { key: 'taskOutputMaxLines', env: 'TASKD_TASK_OUTPUT_MAX_LINES', kind: 'positive' },
  { key: 'orgOutputMaxMb', env: 'TASKD_ORG_OUTPUT_MAX_MB', kind: 'positive' },
  { key: 'taskMaxMessages', env: 'TASKD_TASK_MAX_MESSAGES', kind: 'positive' },
  { key: 'runnerSlots', env: 'TASKD_RUNNER_SLOTS', kind: 'count' },
  { key: 'cancelGraceSeconds', env: 'TASKD_CANCEL_GRACE_SECONDS', kind: 'count' },
  { key: 'defaultTaskTimeoutSeconds', env: 'TASKD_DEFAULT_TASK_TIMEOUT_SECONDS', kind: 'positive' },
  { key: 'maximumTaskTimeoutSeconds', env: 'TASKD_MAXIMUM_TASK_TIMEOUT_SECONDS', kind: 'positive' },
  { key: 'runnerReservedSlots', env: 'TASKD_RUNNER_RESERVED_SLOTS', kind: 'count' },
  { key: 'orgRunningTasksLimit', env: 'TASKD_ORG_RUNNING_TASKS_LIMIT', kind: 'count' },
  { key: 'spaceRunningTasksLimit', env: 'TASKD_SPACE_RUNNING_TASKS_LIMIT', kind: 'count' },
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
  { key: 'requestLog', env: 'TASKD_REQUEST_LOG', kind: 'onoff' },
  { key: 'runnerMemoryMb', env: 'TASKD_RUNNER_MEMORY_MB', kind: 'positive' },
  { key: 'taskCreateRateLimit', env: 'TASKD_TASK_CREATE_RATE_LIMIT', kind: 'count' },
  { key: 'dropletUploadRateLimit', env: 'TASKD_DROPLET_UPLOAD_RATE_LIMIT', kind: 'count' },
  { key: 'loginFailureLimit', env: 'TASKD_LOGIN_FAILURE_LIMIT', kind: 'count' },
  { key: 'loginFailureLimitPerAddress', env: 'TASKD_LOGIN_FAILURE_LIMIT_PER_ADDRESS', kind: 'count' },
  { key: 'loginFailureWindowSeconds', env: 'TASKD_LOGIN_FAILURE_WINDOW_SECONDS', kind: 'positive' },
  { key: 'loginFreeFailures', env: 'TASKD_LOGIN_FREE_FAILURES', kind: 'count' },
  { key: 'loginMaxDelaySeconds', env: 'TASKD_LOGIN_MAX_DELAY_SECONDS', kind: 'positive' },
  { key: 'requestTimeoutSeconds', env: 'TASKD_REQUEST_TIMEOUT_SECONDS', kind: 'positive' },
  { key: 'headersTimeoutSeconds', env: 'TASKD_HEADERS_TIMEOUT_SECONDS', kind: 'positive' },
  { key: 'idleSocketTimeoutSeconds', env: 'TASKD_IDLE_SOCKET_TIMEOUT_SECONDS', kind: 'positive' },
  { key: 'keepAliveTimeoutSeconds', env: 'TASKD_KEEP_ALIVE_TIMEOUT_SECONDS', kind: 'positive' },
  { key: 'maxConnections', env: 'TASKD_MAX_CONNECTIONS', kind: 'positive' },
  { key: 'maxConnectionsPerAddress', env: 'TASKD_MAX_CONNECTIONS_PER_ADDRESS', kind: 'positive' },
  { key: 'maxConcurrentRequestsPerUser', env: 'TASKD_MAX_CONCURRENT_REQUESTS_PER_USER', kind: 'positive' },
  { key: 'activeRequestsPerUser', env: 'TASKD_ACTIVE_REQUESTS_PER_USER', kind: 'positive' },
  { key: 'requestsPerSecondPerUser', env: 'TASKD_REQUESTS_PER_SECOND_PER_USER', kind: 'count' },
  { key: 'maxStreamsPerUser', env: 'TASKD_MAX_STREAMS_PER_USER', kind: 'positive' },
  { key: 'trustedProxies', env: 'TASKD_TRUSTED_PROXIES', kind: 'proxies' },
  { key: 'vsphereSessionIdleSeconds', env: 'TASKD_VSPHERE_SESSION_IDLE_SECONDS', kind: 'positive' },
  { key: 'vsphereSessionMaxAgeSeconds', env: 'TASKD_VSPHERE_SESSION_MAX_AGE_SECONDS', kind: 'positive' },
  { key: 'vsphereSessionsPerUser', env: 'TASKD_VSPHERE_SESSIONS_PER_USER', kind: 'positive' },
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
  if (result.maxConnectionsPerAddress >= result.maxConnections) {
    throw new ConfigError(
      `TASKD_MAX_CONNECTIONS_PER_ADDRESS (${result.maxConnectionsPerAddress}) must be below TASKD_MAX_CONNECTIONS (${result.maxConnections}), or one address could take every connection`,
    );
  }
  // Not set: a day, or the maximum when an operator set that lower.
  result.defaultTaskTimeoutSeconds ??= Math.min(DEFAULT_TASK_TIMEOUT_SECONDS, result.maximumTaskTimeoutSeconds);
  const { defaultTaskTimeoutSeconds: timeout, maximumTaskTimeoutSeconds: maxTimeout } = result;
  if (timeout > maxTimeout) {
    throw new ConfigError(
      `TASKD_DEFAULT_TASK_TIMEOUT_SECONDS (${timeout}) must not exceed TASKD_MAXIMUM_TASK_TIMEOUT_SECONDS (${maxTimeout})`,
    );
  }
  if (result.runnerReservedSlots !== undefined && result.runnerSlots > 0 && result.runnerReservedSlots >= result.runnerSlots) {
    throw new ConfigError(
      `TASKD_RUNNER_RESERVED_SLOTS (${result.runnerReservedSlots}) must be below TASKD_RUNNER_SLOTS (${result.runnerSlots}), or no organization could run two tasks`,
    );
  }
  checkAdminPassword(result);
  checkTlsFiles(result);
  if (result.uaaClientsFile !== undefined) result.uaaClients = readUaaClients(result.uaaClientsFile);
  // Asked for explicitly, bubblewrap must work: start-up fails rather than run tasks unsandboxed.
  if (result.sandbox === 'bwrap') {
    const found = probeBwrap();
    if (!found.usable) throw new ConfigError(`TASKD_SANDBOX=bwrap, but ${found.reason}`);
  }
  return result;
}

/** The clients file: taskd's user's alone (it holds secrets, as the secret key file does), and well formed. */
function readUaaClients(file: string): UaaClient[] {
  try {
    refuseWiderThanOwnerOnly(file);
    return parseUaaClients(readFileSync(file, 'utf8'));
  } catch (err) {
    if (err instanceof UaaClientsProblem) throw new ConfigError(`TASKD_UAA_CLIENTS_FILE ${file}: ${err.message}`);
    if (err instanceof UnsafeFileMode) throw new ConfigError(`TASKD_UAA_CLIENTS_FILE: ${err.message}`);
    throw new ConfigError(`TASKD_UAA_CLIENTS_FILE: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** HTTPS needs both files, readable, and a key that goes with the certificate: else start-up stops here. */
function checkTlsFiles(config: Config): void {
  const { tlsCertFile: cert, tlsKeyFile: key } = config;
  if (cert === undefined && key === undefined) return;
  if (cert === undefined || key === undefined) {
    throw new ConfigError('TASKD_TLS_CERT_FILE and TASKD_TLS_KEY_FILE go together: set both to serve HTTPS, or neither');
  }
  const read = (name: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(`${name}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const pair = { cert: read('TASKD_TLS_CERT_FILE', cert), key: read('TASKD_TLS_KEY_FILE', key) };
  try {
    createSecureContext(pair);
  } catch (err) {
    // OpenSSL's words (never the key's contents): "key values mismatch", "no start line", ...
    throw new ConfigError(
      `TASKD_TLS_CERT_FILE ${cert} and TASKD_TLS_KEY_FILE ${key} are not a usable certificate and key: ${(err as Error).message}`,
    );
  }
}

/**
 * The admin password from TASKD_ADMIN_PASSWORD_FILE (its first line), and the password policy
 * applied to it as to every other password. The messages never show the password.
 */
function checkAdminPassword(config: Config): void {
  if (config.passwordMaxLength < config.passwordMinLength) {
    throw new ConfigError(
      `TASKD_PASSWORD_MAX_LENGTH (${config.passwordMaxLength}) must not be below TASKD_PASSWORD_MIN_LENGTH (${config.passwordMinLength})`,
    );
  }
  if (config.adminPasswordFile !== undefined) {
    if (config.adminPassword !== undefined) {
      throw new ConfigError('TASKD_ADMIN_PASSWORD and TASKD_ADMIN_PASSWORD_FILE are both set: set one or the other');
    }
    let text: string;
    try {
      text = readFileSync(config.adminPasswordFile, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `TASKD_ADMIN_PASSWORD_FILE: cannot read ${config.adminPasswordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    config.adminPassword = text.split(/\r?\n/)[0];
  }
  const password = config.adminPassword;
  if (password === undefined) return;
  const length = [...password].length;
  const source = config.adminPasswordFile === undefined ? 'TASKD_ADMIN_PASSWORD' : 'the password in TASKD_ADMIN_PASSWORD_FILE';
  if (length < config.passwordMinLength)
    throw new ConfigError(`${source} is too short (minimum is ${config.passwordMinLength} characters, TASKD_PASSWORD_MIN_LENGTH)`);
  if (length > config.passwordMaxLength)
    throw new ConfigError(`${source} is too long (maximum is ${config.passwordMaxLength} characters, TASKD_PASSWORD_MAX_LENGTH)`);
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
    case 'proxies':
      return parseProxies(name, text);
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

/** Trusted proxies: IPv4 or IPv6 addresses, or CIDRs of them (10.0.0.0/8, fd00::/8). */
function parseProxies(name: string, text: string): string[] {
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 6 ? 128 : 32;
    const badBits = bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > maxBits);
    if (!family || badBits || extra !== undefined)
      throw new ConfigError(`${name} must list IP addresses or CIDRs (e.g. 127.0.0.1,10.0.0.0/8), got '${entry}'`);
  }
  return entries;
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
