import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config.js';

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
    assert.throws(() => loadConfig({ env }), (err: Error) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('\n'));
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
