import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, reservedSlots } from '../src/config.js';

test('defaults serve SQLite on 127.0.0.1:8080 from ./.taskd', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.equal(c.dataDir, path.resolve('.taskd'));
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.maxBundleBytes, 1024 ** 3);
});

test('environment overrides the config file, flags override the environment', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'taskd-config-'));
  const file = path.join(dir, 'taskd.json');
  writeFileSync(file, JSON.stringify({ port: 7000, host: '0.0.0.0', externalUrl: 'https://api.example.org/' }));
  const c = loadConfig({ file, env: { TASKD_PORT: '7001' }, flags: { port: '7002' } });
  assert.equal(c.port, 7002);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.externalUrl, 'https://api.example.org');
  assert.equal(loadConfig({ file, env: { TASKD_PORT: '7001' } }).port, 7001);
});

test('a bad setting is one message naming it', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ TASKD_PORT: 'eighty' }, /^TASKD_PORT must be a port number/],
    [{ TASKD_PORT: '70000' }, /^TASKD_PORT must be a port number/],
    [{ TASKD_DATABASE_URL: 'mysql://x' }, /^TASKD_DATABASE_URL must be a postgres:\/\/ URL/],
    [{ TASKD_EXTERNAL_URL: 'ftp://x' }, /^TASKD_EXTERNAL_URL must be an http\(s\) URL/],
    [{ TASKD_MAX_BUNDLE_BYTES: '0' }, /^TASKD_MAX_BUNDLE_BYTES must be a positive integer/],
  ];
  for (const [env, message] of cases) {
    assert.throws(
      () => loadConfig({ env }),
      (err: Error) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('\n'),
    );
  }
});

test('a config file with an unknown key or bad JSON is refused by name', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'taskd-config-'));
  const unknown = path.join(dir, 'a.json');
  writeFileSync(unknown, JSON.stringify({ prot: 1 }));
  assert.throws(() => loadConfig({ file: unknown, env: {} }), /unknown setting 'prot'/);
  const broken = path.join(dir, 'b.json');
  writeFileSync(broken, '{');
  assert.throws(() => loadConfig({ file: broken, env: {} }), /config file .*b\.json/);
});

test('TASKD_MAXIMUM_MEMORY_IN_MB: read from the environment and the config file', () => {
  assert.equal(loadConfig({ env: { TASKD_MAXIMUM_MEMORY_IN_MB: '8192' } }).maximumMemoryInMb, 8192);
  const dir = mkdtempSync(path.join(tmpdir(), 'taskd-config-'));
  const file = path.join(dir, 'taskd.json');
  writeFileSync(file, JSON.stringify({ maximumMemoryInMb: 3000 }));
  assert.equal(loadConfig({ file, env: {} }).maximumMemoryInMb, 3000);
  assert.throws(() => loadConfig({ env: { TASKD_MAXIMUM_MEMORY_IN_MB: '0' } }), {
    message: "TASKD_MAXIMUM_MEMORY_IN_MB must be a positive integer, got '0'",
  });
  assert.throws(() => loadConfig({ env: { TASKD_MAXIMUM_MEMORY_IN_MB: '2g' } }), {
    message: "TASKD_MAXIMUM_MEMORY_IN_MB must be a positive integer, got '2g'",
  });
});

test("the memory maximum defaults to the host's memory in whole MB", () => {
  assert.equal(loadConfig({ env: {} }).maximumMemoryInMb, Math.max(1024, Math.floor(totalmem() / 1024 ** 2)));
  assert.equal(loadConfig({ env: {}, hostMemoryMb: 15_843 }).maximumMemoryInMb, 15_843);
  // A node that runs tasks within TASKD_RUNNER_MEMORY_MB could never run a bigger one.
  assert.equal(loadConfig({ env: { TASKD_RUNNER_MEMORY_MB: '6000' }, hostMemoryMb: 15_843 }).maximumMemoryInMb, 6000);
  assert.equal(loadConfig({ env: { TASKD_RUNNER_MEMORY_MB: '60000' }, hostMemoryMb: 15_843 }).maximumMemoryInMb, 15_843);
  // An API-only node runs nothing itself: its runner memory bounds nothing.
  assert.equal(loadConfig({ env: { TASKD_RUNNER_MEMORY_MB: '6000', TASKD_ROLE: 'api' }, hostMemoryMb: 15_843 }).maximumMemoryInMb, 15_843);
});

test('on a host with less memory than the default memory the defaults still load, the maximum being the default', () => {
  const small = loadConfig({ env: {}, hostMemoryMb: 512 });
  assert.equal(small.defaultMemoryInMb, 1024);
  assert.equal(small.maximumMemoryInMb, 1024);
  assert.equal(loadConfig({ env: { TASKD_DEFAULT_MEMORY_IN_MB: '256' }, hostMemoryMb: 512 }).maximumMemoryInMb, 512);
});

test('a default memory above the memory maximum stops start-up', () => {
  assert.throws(
    () => loadConfig({ env: { TASKD_DEFAULT_MEMORY_IN_MB: '2048', TASKD_MAXIMUM_MEMORY_IN_MB: '1024' } }),
    (err: Error) =>
      err instanceof ConfigError && err.message === 'TASKD_DEFAULT_MEMORY_IN_MB (2048) must not exceed TASKD_MAXIMUM_MEMORY_IN_MB (1024)',
  );
  assert.throws(
    () => loadConfig({ env: { TASKD_MAXIMUM_MEMORY_IN_MB: '512' } }),
    /TASKD_DEFAULT_MEMORY_IN_MB \(1024\) must not exceed TASKD_MAXIMUM_MEMORY_IN_MB \(512\)/,
  );
  const equal = loadConfig({ env: { TASKD_DEFAULT_MEMORY_IN_MB: '2048', TASKD_MAXIMUM_MEMORY_IN_MB: '2048' } });
  assert.equal(equal.maximumMemoryInMb, 2048);
  // Above the host's memory is the operator's call (swap, say): only the default must fit.
  assert.equal(
    loadConfig({ env: { TASKD_DEFAULT_MEMORY_IN_MB: '4096', TASKD_MAXIMUM_MEMORY_IN_MB: '8192' }, hostMemoryMb: 2048 }).maximumMemoryInMb,
    8192,
  );
});

test('tenant limits: per-address, per-user and vSphere session settings, with safe defaults', () => {
  const defaults = loadConfig({ env: {} });
  assert.equal(defaults.maxConnectionsPerAddress, 256);
  assert.equal(defaults.maxConcurrentRequestsPerUser, 100);
  assert.equal(defaults.activeRequestsPerUser, 4);
  assert.equal(defaults.maxStreamsPerUser, 50);
  assert.deepEqual(defaults.trustedProxies, []);
  assert.equal(defaults.vsphereSessionIdleSeconds, 1800);
  assert.equal(defaults.vsphereSessionMaxAgeSeconds, 8 * 3600);
  assert.equal(defaults.vsphereSessionsPerUser, 20);
  const set = loadConfig({
    env: {
      TASKD_MAX_CONNECTIONS_PER_ADDRESS: '10',
      TASKD_MAX_CONCURRENT_REQUESTS_PER_USER: '5',
      TASKD_ACTIVE_REQUESTS_PER_USER: '2',
      TASKD_MAX_STREAMS_PER_USER: '3',
      TASKD_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8,fd00::/8',
      TASKD_VSPHERE_SESSION_IDLE_SECONDS: '600',
      TASKD_VSPHERE_SESSION_MAX_AGE_SECONDS: '3600',
      TASKD_VSPHERE_SESSIONS_PER_USER: '4',
    },
  });
  assert.deepEqual(
    [set.maxConnectionsPerAddress, set.maxConcurrentRequestsPerUser, set.maxStreamsPerUser, set.vsphereSessionsPerUser],
    [10, 5, 3, 4],
  );
  assert.equal(set.activeRequestsPerUser, 2);
  assert.deepEqual(set.trustedProxies, ['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);
  assert.deepEqual([set.vsphereSessionIdleSeconds, set.vsphereSessionMaxAgeSeconds], [600, 3600]);
});

test('a trusted proxy that is no address or CIDR, or an address cap as large as the whole, stops start-up', () => {
  for (const bad of ['proxy.example.org', '10.0.0.0/33', '10.0.0.1/8/1', '::1/129']) {
    assert.throws(
      () => loadConfig({ env: { TASKD_TRUSTED_PROXIES: bad } }),
      (err: Error) => err instanceof ConfigError && err.message.startsWith('TASKD_TRUSTED_PROXIES must list IP addresses or CIDRs'),
      bad,
    );
  }
  assert.throws(
    () => loadConfig({ env: { TASKD_MAX_CONNECTIONS: '100', TASKD_MAX_CONNECTIONS_PER_ADDRESS: '100' } }),
    /TASKD_MAX_CONNECTIONS_PER_ADDRESS \(100\) must be below TASKD_MAX_CONNECTIONS \(100\)/,
  );
});

test('passwords: at least 12 and at most 1024 characters by default; TASKD_PASSWORD_MIN_LENGTH / _MAX_LENGTH set them', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.passwordMinLength, 12);
  assert.equal(c.passwordMaxLength, 1024);
  const set = loadConfig({ env: { TASKD_PASSWORD_MIN_LENGTH: '16', TASKD_PASSWORD_MAX_LENGTH: '64' } });
  assert.deepEqual([set.passwordMinLength, set.passwordMaxLength], [16, 64]);
  assert.throws(
    () => loadConfig({ env: { TASKD_PASSWORD_MIN_LENGTH: '65', TASKD_PASSWORD_MAX_LENGTH: '64' } }),
    /^Error: TASKD_PASSWORD_MAX_LENGTH \(64\) must not be below TASKD_PASSWORD_MIN_LENGTH \(65\)$/,
  );
});

test('the admin password: from TASKD_ADMIN_PASSWORD or the first line of TASKD_ADMIN_PASSWORD_FILE, under the policy, never echoed', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'taskd-config-'));
  const file = path.join(dir, 'admin-password');
  writeFileSync(file, 'from-a-file-password\nignored second line\n', { mode: 0o600 });
  assert.equal(loadConfig({ env: { TASKD_ADMIN_PASSWORD_FILE: file } }).adminPassword, 'from-a-file-password');
  assert.equal(loadConfig({ env: {}, flags: { adminPasswordFile: file } }).adminPassword, 'from-a-file-password');
  const refusals: [Record<string, string>, RegExp][] = [
    [{ TASKD_ADMIN_PASSWORD: 'short-pw' }, /^TASKD_ADMIN_PASSWORD is too short \(minimum is 12 characters, TASKD_PASSWORD_MIN_LENGTH\)$/],
    [{ TASKD_ADMIN_PASSWORD: 'x'.repeat(1025) }, /^TASKD_ADMIN_PASSWORD is too long \(maximum is 1024 characters/],
    [{ TASKD_ADMIN_PASSWORD: 'a-long-enough-password', TASKD_ADMIN_PASSWORD_FILE: file }, /both set: set one or the other$/],
    [{ TASKD_ADMIN_PASSWORD_FILE: path.join(dir, 'missing') }, /^TASKD_ADMIN_PASSWORD_FILE: cannot read .*missing: ENOENT$/],
  ];
  writeFileSync(path.join(dir, 'short'), 'short-pw\n');
  refusals.push([{ TASKD_ADMIN_PASSWORD_FILE: path.join(dir, 'short') }, /^the password in TASKD_ADMIN_PASSWORD_FILE is too short/]);
  for (const [env, message] of refusals) {
    assert.throws(
      () => loadConfig({ env }),
      (err: Error) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('short-pw'),
      JSON.stringify(env).slice(0, 120),
    );
  }
});

test('fair scheduling: timeouts, running limits and reserved slots have safe defaults', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.defaultTaskTimeoutSeconds, 86_400);
  assert.equal(c.maximumTaskTimeoutSeconds, 604_800);
  assert.equal(c.orgRunningTasksLimit, 50);
  assert.equal(c.spaceRunningTasksLimit, 25);
  assert.equal(reservedSlots(c), 1);
  assert.deepEqual(
    [1, 2, 3, 8, 16].map((runnerSlots) => reservedSlots({ runnerSlots })),
    [0, 0, 0, 2, 4],
  );
  // A maximum set below a day takes the default with it; a default set above it stops start-up.
  assert.equal(loadConfig({ env: { TASKD_MAXIMUM_TASK_TIMEOUT_SECONDS: '3600' } }).defaultTaskTimeoutSeconds, 3600);
  assert.throws(() => loadConfig({ env: { TASKD_MAXIMUM_TASK_TIMEOUT_SECONDS: '3600', TASKD_DEFAULT_TASK_TIMEOUT_SECONDS: '7200' } }), {
    message: 'TASKD_DEFAULT_TASK_TIMEOUT_SECONDS (7200) must not exceed TASKD_MAXIMUM_TASK_TIMEOUT_SECONDS (3600)',
  });
  const set = loadConfig({
    env: { TASKD_RUNNER_RESERVED_SLOTS: '0', TASKD_ORG_RUNNING_TASKS_LIMIT: '0', TASKD_SPACE_RUNNING_TASKS_LIMIT: '10' },
  });
  assert.deepEqual([reservedSlots(set), set.orgRunningTasksLimit, set.spaceRunningTasksLimit], [0, 0, 10]);
  assert.throws(() => loadConfig({ env: { TASKD_RUNNER_SLOTS: '4', TASKD_RUNNER_RESERVED_SLOTS: '4' } }), {
    message: 'TASKD_RUNNER_RESERVED_SLOTS (4) must be below TASKD_RUNNER_SLOTS (4), or no organization could run two tasks',
  });
  assert.throws(() => loadConfig({ env: { TASKD_ORG_RUNNING_TASKS_LIMIT: '-1' } }), /TASKD_ORG_RUNNING_TASKS_LIMIT must be a whole number/);
});

test('droplet and environment budgets: bounded by default, set from the environment or the config file', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.dropletsPerApp, 5);
  assert.equal(c.orgDropletMaxMb, 2048);
  assert.equal(c.maxAppEnvChars, 65_536);
  assert.equal(c.dropletsAwaitingUploadPerApp, 20);
  const set = loadConfig({
    env: {
      TASKD_DROPLETS_PER_APP: '3',
      TASKD_ORG_DROPLET_MAX_MB: '512',
      TASKD_MAX_APP_ENV_CHARS: '4096',
      TASKD_DROPLETS_AWAITING_UPLOAD_PER_APP: '0',
    },
  });
  assert.deepEqual([set.dropletsPerApp, set.orgDropletMaxMb, set.maxAppEnvChars, set.dropletsAwaitingUploadPerApp], [3, 512, 4096, 0]);
  const dir = mkdtempSync(path.join(tmpdir(), 'taskd-config-'));
  const file = path.join(dir, 'taskd.json');
  writeFileSync(file, JSON.stringify({ orgDropletMaxMb: 100 }));
  assert.equal(loadConfig({ file, env: {} }).orgDropletMaxMb, 100);
  for (const name of ['TASKD_DROPLETS_PER_APP', 'TASKD_ORG_DROPLET_MAX_MB', 'TASKD_MAX_APP_ENV_CHARS']) {
    assert.throws(() => loadConfig({ env: { [name]: '0' } }), new RegExp(`${name} must be a positive integer`));
  }
});

test('output and message budgets: bounded by default, set from the environment', () => {
  const c = loadConfig({ env: {} });
  assert.deepEqual(
    [c.taskOutputMaxBytes, c.taskOutputMaxLines, c.orgOutputMaxMb, c.taskMaxMessages],
    [16 * 1024 * 1024, 100_000, 1024, 100],
  );
  const set = loadConfig({
    env: {
      TASKD_TASK_OUTPUT_MAX_BYTES: '65536',
      TASKD_TASK_OUTPUT_MAX_LINES: '1000',
      TASKD_ORG_OUTPUT_MAX_MB: '64',
      TASKD_TASK_MAX_MESSAGES: '10',
    },
  });
  assert.deepEqual([set.taskOutputMaxBytes, set.taskOutputMaxLines, set.orgOutputMaxMb, set.taskMaxMessages], [65536, 1000, 64, 10]);
  for (const name of ['TASKD_TASK_OUTPUT_MAX_BYTES', 'TASKD_TASK_OUTPUT_MAX_LINES', 'TASKD_ORG_OUTPUT_MAX_MB', 'TASKD_TASK_MAX_MESSAGES']) {
    assert.throws(() => loadConfig({ env: { [name]: '0' } }), new RegExp(`${name} must be a positive integer`));
  }
});

test('OAuth clients: read from TASKD_UAA_CLIENTS_FILE (0600), each entry checked by name, secrets never echoed', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'taskd-config-'));
  const write = (name: string, content: unknown, mode = 0o600) => {
    const file = path.join(dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content), { mode });
    return file;
  };
  const secret = 'a-client-secret-of-length';
  const good = write('clients.json', [{ client_id: 'ci', client_secret: secret, authorities: ['cloud_controller.admin'] }]);
  assert.deepEqual(loadConfig({ env: {} }).uaaClients, []);
  assert.deepEqual(loadConfig({ env: { TASKD_UAA_CLIENTS_FILE: good } }).uaaClients, [
    { clientId: 'ci', secret, authorities: ['cloud_controller.admin'] },
  ]);
  assert.equal(loadConfig({ env: {}, flags: { uaaClientsFile: good } }).uaaClients.length, 1);
  const entry = { client_id: 'ci', client_secret: secret, authorities: [] as string[] };
  const refusals: [string, RegExp][] = [
    [write('open.json', [entry], 0o644), /^TASKD_UAA_CLIENTS_FILE: .*open\.json has mode 0644, wider than 0600/],
    [path.join(dir, 'missing.json'), /^TASKD_UAA_CLIENTS_FILE: cannot read .*missing\.json: ENOENT$/],
    [write('broken.json', '[{'), /broken\.json: not JSON/],
    [write('object.json', entry), /must hold a JSON array of clients$/],
    [write('cf.json', [{ ...entry, client_id: 'cf' }]), /client 1: client_id 'cf' is the cf CLI's own client$/],
    [write('twice.json', [entry, entry]), /client 2: client_id 'ci' is listed twice$/],
    [write('weak.json', [{ ...entry, client_secret: 'short-secret' }]), /client 'ci': client_secret must be a string of at least 16/],
    [write('scope.json', [{ ...entry, authorities: ['scim.write'] }]), /client 'ci': unknown authorities scim\.write/],
    [write('extra.json', [{ ...entry, scope: ['openid'] }]), /client 1: unknown field\(s\) scope$/],
  ];
  for (const [file, message] of refusals) {
    assert.throws(
      () => loadConfig({ env: { TASKD_UAA_CLIENTS_FILE: file } }),
      (err: Error) =>
        err instanceof ConfigError &&
        message.test(err.message) &&
        !err.message.includes('secret-of') &&
        !err.message.includes('short-secret'),
      file,
    );
  }
});
