// `taskd serve` in a terminal shows its start-up lines, not a JSON line per request (issue 20: the
// request lines buried the start-up ones); TASKD_REQUEST_LOG=on brings them back for a log collector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const bin = path.resolve('bin/taskd.js');
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TASKD_')));

/** Starts taskd with `env`, asks GET /v3/info three times with a bearer header, and returns what it printed. */
async function outputAfterRequests(env: Record<string, string>): Promise<string> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-request-log-'));
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { ...cleanEnv(), TASKD_RUNNER_SLOTS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  try {
    const started = Date.now();
    while (!/serving (\S+)/.test(out)) {
      if (Date.now() - started > 30_000) throw new Error(`no start-up lines: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const url = /serving (\S+)/.exec(out)![1];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${url}/v3/info`, { headers: { authorization: 'bearer secret-token-value' } });
      assert.equal(res.status, 200);
    }
    // The lines are written off the event loop: give them a moment.
    await new Promise((r) => setTimeout(r, 300));
    return out;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test('by default the terminal shows the start-up lines and no line per request', async () => {
  const out = await outputAfterRequests({});
  assert.match(out, /taskd is serving http:/);
  assert.doesNotMatch(out, /\/v3\/info/);
  assert.ok(
    out.split('\n').every((line) => !line.startsWith('{')),
    out,
  );
});

test('TASKD_REQUEST_LOG=on writes one JSON line per request, its credentials redacted', async () => {
  const out = await outputAfterRequests({ TASKD_REQUEST_LOG: 'on' });
  const requests = out
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { req?: { url: string }; res?: { statusCode: number } })
    .filter((entry) => entry.req?.url === '/v3/info');
  assert.equal(requests.length, 3, out);
  assert.ok(requests.every((entry) => entry.res?.statusCode === 200));
  assert.ok(!out.includes('secret-token-value'), 'the bearer token is redacted');
});
