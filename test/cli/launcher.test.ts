// bin/taskd.js, the `taskd` on a user's PATH (npm link): it runs the bundle npm install built
// (scripts/build-cli.mjs) while that is as new as its sources, and the sources themselves once one
// has changed, so an edited or pulled clone never runs old code.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundleCli } from '../../scripts/build-cli.mjs';

const run = promisify(execFile);

describe('bin/taskd.js', () => {
  let root: string;
  const taskd = (...args: string[]) =>
    run(process.execPath, [path.join(root, 'bin', 'taskd.js'), ...args], { env: { ...process.env, HOME: root } });

  before(async () => {
    // A clone of its own: the sources copied (their times are changed below), the dependencies shared.
    root = mkdtempSync(path.join(tmpdir(), 'taskd-launcher-'));
    cpSync('src', path.join(root, 'src'), { recursive: true });
    mkdirSync(path.join(root, 'bin'));
    copyFileSync('bin/taskd.js', path.join(root, 'bin', 'taskd.js'));
    copyFileSync('package.json', path.join(root, 'package.json'));
    symlinkSync(path.resolve('node_modules'), path.join(root, 'node_modules'));
    await bundleCli(root, path.join(root, 'dist'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('runs the bundle while it is current, and the sources once one of them is newer', async () => {
    // What only the bundle says: proof of which of the two ran.
    appendFileSync(path.join(root, 'dist', 'taskd-cli.mjs'), '\nconsole.error("ran the bundle");\n');
    const bundled = await taskd('version');
    assert.match(bundled.stdout, /^taskd version \d+\.\d+\.\d+\n$/);
    assert.match(bundled.stderr, /ran the bundle/);

    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(root, 'src', 'cli', 'verbs', 'push.ts'), later, later);
    const fromSources = await taskd('version');
    assert.equal(fromSources.stdout, bundled.stdout);
    assert.doesNotMatch(fromSources.stderr, /ran the bundle/);
  });
});
