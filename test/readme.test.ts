// The README's quick start and curl walk-through, run as a new user runs them: `npm start` on a
// fresh data directory, then each marked shell block in order, in one shell (the blocks share
// variables), from a directory of the user's own. Blocks are picked by an HTML comment above them
// (`<!-- readme.test.ts: starts taskd -->` or `runs`), which a reader of the rendered page never
// sees. Only the port differs: taskd listens on a free one, and the blocks' 8080 is changed to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const README = path.join(ROOT, 'README.md');

interface Block {
  marker: 'starts taskd' | 'runs';
  code: string;
  /** Its first line in README.md, for failure messages. */
  line: number;
}

function markedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = /^<!-- readme\.test\.ts: (starts taskd|runs) -->$/.exec(lines[i]!)?.[1] as Block['marker'] | undefined;
    if (!marker) continue;
    assert.equal(lines[i + 1], '```sh', `README.md line ${i + 1}: a marker must stand right above a sh block`);
    const end = lines.indexOf('```', i + 2);
    blocks.push({ marker, code: lines.slice(i + 2, end).join('\n'), line: i + 3 });
    i = end;
  }
  return blocks;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TASKD_')));

test("the README's quick start and curl walk-through run in order on a fresh data directory", { timeout: 180_000 }, async () => {
  const blocks = markedBlocks(readFileSync(README, 'utf8'));
  const [start, ...walkThrough] = blocks;
  // Markers lost in an edit must fail here, not leave a test that runs nothing.
  assert.equal(start?.marker, 'starts taskd');
  assert.equal(start.code, 'npm install && npm start');
  assert.ok(walkThrough.length >= 7, `only ${walkThrough.length} walk-through blocks are marked`);
  assert.ok(walkThrough.every((b) => b.marker === 'runs'));

  const home = mkdtempSync(path.join(tmpdir(), 'taskd-readme-'));
  const port = await freePort();
  // `npm install` is what these tests were installed with; running it again here would replace
  // the very tree they run from. `npm start` runs as written, from the clone, as the user's would.
  const taskd = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...cleanEnv(), TASKD_DATA_DIR: path.join(home, '.taskd'), TASKD_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that the Ctrl-C below reaches npm and taskd both, as a terminal's does.
    detached: true,
  });
  let served = '';
  taskd.stdout!.on('data', (d) => (served += d));
  taskd.stderr!.on('data', (d) => (served += d));
  // 'close': npm gone and its output closed, which taskd's shares: its last lines are in.
  const closed = new Promise((resolve) => taskd.once('close', resolve));
  try {
    for (const deadline = Date.now() + 90_000; !/^Log in: /m.test(served); await new Promise((r) => setTimeout(r, 100))) {
      if (taskd.exitCode !== null || Date.now() > deadline) assert.fail(`npm start did not serve:\n${served}`);
    }
    assert.match(
      served,
      new RegExp(`First start: created user 'admin'; its password is in ${path.join(home, '.taskd', 'admin-password')}`),
    );

    // One shell, as one terminal; it stops at the first command that fails and says in which block.
    const script = [
      'set -e -o pipefail',
      ...walkThrough.map(
        (b) => `echo "::block at README.md line ${b.line}" >&2\n${b.code.replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`)}`,
      ),
    ].join('\n');
    const shell = spawn('bash', ['-c', script], { cwd: home, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    shell.stdout.on('data', (d) => (stdout += d));
    shell.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => shell.kill('SIGKILL'), 90_000);
    const status = await new Promise((resolve) => shell.once('exit', (code, signal) => resolve(code ?? signal)));
    clearTimeout(timer);
    const failedBlock = stderr.match(/::block at README\.md line \d+/g)?.at(-1);
    assert.equal(status, 0, `${failedBlock} failed (exit ${String(status)}):\n${stderr}\n--- stdout:\n${stdout}`);

    // What the walk-through says the reader will see: each `| state` ends a line (after a JSON
    // answer that curl printed without a newline of its own, where one comes before it).
    const states = [...stdout.matchAll(/(?:^|[}\]])([A-Z]+)$/gm)].map((m) => m[1]);
    assert.deepEqual(states, ['STAGED', 'SUCCEEDED', 'CANCELING'], stdout);
    assert.match(stdout, /"text":"hello from taskd"/);
  } finally {
    // Ctrl-C, as the reader ends it.
    if (taskd.exitCode === null) process.kill(-taskd.pid!, 'SIGINT');
    await closed;
    rmSync(home, { recursive: true, force: true });
  }
  assert.match(served, /taskd: SIGINT: shutting down/);
  assert.match(served, /^taskd stopped$/m);
});
