// What `taskd push` says while it works: the folders it always leaves out (.git, a taskd data
// folder), a warning for a large push, and its progress — drawn on a terminal only, so that
// piped output stays clean lines.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CliHarness, errorLines } from './cli-harness.js';

const MiB = 1024 * 1024;
const noScript = spawnSync('script', ['--version']).status === 0 ? false : 'script(1) is not installed: no terminal to run taskd on';

describe('taskd push, as it speaks', () => {
  const cli = new CliHarness().hooks();
  let folder: string;

  before(async () => {
    const org = await cli.server.org('demo');
    await cli.server.space(org.guid, 'dev');
    await cli.sessionAs('admin');
    await cli.ok(['target', '-o', 'demo', '-s', 'dev']);
    folder = mkdtempSync(path.join(tmpdir(), 'taskd-cli-push-'));
    writeFileSync(path.join(folder, 'run.sh'), 'echo hi\n');
    mkdirSync(path.join(folder, '.git'));
    writeFileSync(path.join(folder, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    mkdirSync(path.join(folder, '.taskd'));
    writeFileSync(path.join(folder, '.taskd', 'admin-password'), 'not-for-a-droplet\n');
  });

  test('a taskd data folder and .git are left out, each said; piped, nothing is drawn', async () => {
    const res = await cli.ok(['push', 'plain', folder]);
    const lines = errorLines(res.stderr);
    assert.ok(lines.includes("Left out .git: version control, not the app's code"), res.stderr);
    assert.ok(lines.includes("Left out .taskd: a taskd data folder (database, keys, passwords), never an app's code"), res.stderr);
    assert.ok(!res.stderr.includes('\r') && !res.stderr.includes('\u001b'), 'no progress drawn into a pipe');
    const ls = await cli.run(['run-task', 'plain', 'ls -A', '--wait']);
    assert.equal(ls.stdout, 'run.sh\n');
  });

  test('a push over 50 MiB is warned about, naming where its bulk is', async () => {
    const big = mkdtempSync(path.join(tmpdir(), 'taskd-cli-push-big-'));
    mkdirSync(path.join(big, 'data'));
    // Sparse: no disk taken here, and it packs to little.
    writeFileSync(path.join(big, 'data', 'zeros.bin'), '');
    truncateSync(path.join(big, 'data', 'zeros.bin'), 51 * MiB);
    writeFileSync(path.join(big, 'run.sh'), 'echo hi\n');
    const res = await cli.ok(['push', 'big', big]);
    assert.ok(
      errorLines(res.stderr).includes(
        'Warning: this push is 51.0 MiB before compression, most of it in data 51.0 MiB, run.sh 8 B; what tasks do not need can be listed in .taskdignore',
      ),
      res.stderr,
    );
    const small = await cli.ok(['push', 'plain', folder]);
    assert.doesNotMatch(small.stderr, /Warning/);
  });

  test('on a terminal, packing and uploading show their progress', { skip: noScript }, async () => {
    const res = await cli.run(['push', 'plain', folder], { terminal: true });
    assert.equal(res.status, 0, res.stdout);
    // On a terminal both streams arrive as one.
    assert.match(res.stdout, /\r\S Packing\.\.\./);
    assert.match(res.stdout, /\rUploading \[#+ *\] \d+% of /);
    assert.match(res.stdout, /OK\r?\n/);
  });
});
