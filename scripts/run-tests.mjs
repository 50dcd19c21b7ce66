// `npm test`: every test file under test/, run with node's test runner, three at a time, the
// slowest first (SLOW_FIRST below). Arguments naming files run those only; --test-reporter,
// --test-reporter-destination and --test-name-pattern=P work as with node --test (`npm test --
// --test-reporter=spec`); other arguments starting with `--` are options for node.
//
// The TypeScript is compiled first, file by file with esbuild as tsx would on each start, into
// dist/test-build-<pid>/, and the tests run from there without a loader: through tsx each of the
// ~120 test processes spent 2-4 s of CPU loading ~500 TypeScript files and their dependencies
// through loader hooks, a quarter of the suite's CPU. That copy mirrors the project: beside each
// compiled file lie its source (symlinked, for tests that read sources) and every other file of
// src/, test/ and reliability/ (symlinked), and the project's other top-level entries are
// symlinked beside them, so paths found from import.meta.url (the project root, the supervisor's
// script, web/dist, package.json) name the same files as in the source tree. Processes the tests
// start run the compiled copy too (test/support/taskd-process.ts, test/cli/cli-harness.ts), or
// taskd bundled into dist/taskd.mjs of the copy.
// `node --import tsx --test FILE` runs a test from the source tree as before.
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleTaskd } from './build-server.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COMPILED = ['src', 'test', 'reliability'];

/**
 * The slowest files (each over half a minute on a loaded two-core machine), started first: the
 * runner takes files in order, three at a time, and one of these started last would run on alone
 * at the end. Only the order depends on this list; a file named here that is gone is skipped.
 */
const SLOW_FIRST = [
  'test/runner/nodes-processes.test.ts',
  'test/runner/restart.test.ts',
  'test/runner/output-budget.test.ts',
  'test/cli/tasks.test.ts',
  'test/auth/credentials.test.ts',
  'test/api/rate-limits.test.ts',
  'test/runner/sandbox.test.ts',
  'test/runner/pause.test.ts',
  'test/runner/workspace.test.ts',
  'test/runner/fair-scheduling.test.ts',
  'test/reliability/hostile-input.test.ts',
  'test/runner/limits.test.ts',
  'test/cli/session.test.ts',
  'test/runner/sandbox-escapes.test.ts',
  'test/reliability/tokens.test.ts',
];

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'support' ? [] : find(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}

function allFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? allFiles(full) : [full];
  });
}

/** Compiles src/, test/ and reliability/ into `out`, mirroring the project as described above. */
async function compile(out) {
  mkdirSync(out, { recursive: true });
  for (const name of readdirSync(ROOT)) {
    if ([...COMPILED, 'dist', 'node_modules', '.git'].includes(name)) continue;
    symlinkSync(path.join(ROOT, name), path.join(out, name));
  }
  const files = COMPILED.flatMap((dir) => allFiles(path.join(ROOT, dir)));
  for (const file of files) {
    const copy = path.join(out, path.relative(ROOT, file));
    mkdirSync(path.dirname(copy), { recursive: true });
    symlinkSync(file, copy);
  }
  await build({
    entryPoints: files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
    outdir: out,
    outbase: ROOT,
    bundle: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
  // And taskd bundled, as scripts/build-server.mjs makes dist/taskd.mjs for `npm start`, from the
  // code as it is: the taskd processes the tests start run it (it starts in ~0.7 s less CPU than
  // the compiled files; reliability/support/taskd-process.ts looks for it there).
  await bundleTaskd(ROOT, path.join(out, 'dist', 'taskd.mjs'));
}

/**
 * Runs the compiled test files with node's test runner, in this order (`node --test` would sort
 * them), and the reporters named as node takes them (--test-reporter, --test-reporter-destination;
 * spec on a terminal, else TAP). The test processes inherit this process's node options.
 */
async function runInOrder(files, options) {
  const { run } = await import('node:test');
  const builtIn = await import('node:test/reporters');
  const names = options.filter((o) => o.startsWith('--test-reporter=')).map((o) => o.slice('--test-reporter='.length));
  const destinations = options
    .filter((o) => o.startsWith('--test-reporter-destination='))
    .map((o) => o.slice('--test-reporter-destination='.length));
  if (!names.length) names.push(process.stdout.isTTY ? 'spec' : 'tap');
  if (!destinations.length) destinations.push('stdout');
  if (names.length !== destinations.length) throw new Error('give a --test-reporter-destination for each --test-reporter');
  // Three files at a time on two cores: most tests spend their time waiting on task processes, so
  // a third file keeps the cores busy. More would need more PostgreSQL connections than the
  // default 100 when several multi-process suites meet.
  const testNamePatterns = options.filter((o) => o.startsWith('--test-name-pattern=')).map((o) => o.slice('--test-name-pattern='.length));
  const stream = run({ files, concurrency: 3, ...(testNamePatterns.length ? { testNamePatterns } : {}) });
  stream.once('test:fail', () => (process.exitCode = 1));
  summarizeFailures(stream);
  for (const [i, name] of names.entries()) {
    let reporter = name in builtIn ? builtIn[name] : (await import(path.resolve(name))).default;
    if (reporter?.prototype && Object.getOwnPropertyDescriptor(reporter.prototype, 'constructor')) reporter = new reporter();
    const destination = destinations[i];
    const to = destination === 'stdout' ? process.stdout : destination === 'stderr' ? process.stderr : createWriteStream(destination);
    stream.compose(reporter).pipe(to);
  }
}

/**
 * The failed tests once more, after everything else: a CI log is often read from its tail, and
 * TAP tells a failure 2,000 tests before the counts at its end. As TAP comments, so the output
 * stays TAP.
 */
function summarizeFailures(stream) {
  const failed = [];
  stream.on('test:fail', (test) => {
    // A suite fails with its failed tests; they are named already.
    if (test.details?.error?.failureType === 'subtestsFailed') return;
    failed.push(test);
  });
  let printed = false;
  // After the reporters' last writes: the event loop is empty only once they are flushed.
  process.on('beforeExit', () => {
    if (printed || !failed.length) return;
    printed = true;
    const lines = [`failed: ${failed.length}`];
    for (const test of failed) {
      const where = test.file ? `${path.relative(process.cwd(), test.file)}:${test.line ?? '?'}` : '(no file)';
      lines.push(`  ${where}  ${test.name}`);
      const error = test.details?.error;
      const message = String(error?.cause?.stack ?? error?.cause ?? error?.message ?? error ?? '');
      for (const line of message.split('\n').slice(0, 8)) lines.push(`      ${line}`);
    }
    process.stdout.write(lines.map((line) => `# ${line}`).join('\n') + '\n');
  });
}

const args = process.argv.slice(2);
if (args[0] === '--run-compiled') {
  const [, options, ...files] = args;
  await runInOrder(files, JSON.parse(options));
} else {
  const options = args.filter((a) => a.startsWith('--'));
  const only = args.filter((a) => !a.startsWith('--'));
  const files = only.length ? only.map((f) => path.relative(ROOT, path.resolve(f))) : find('test').sort();
  if (!files.length) {
    console.error('no test files found under test/');
    process.exit(1);
  }
  const ordered = [...SLOW_FIRST.filter((f) => files.includes(f)), ...files.filter((f) => !SLOW_FIRST.includes(f))];

  const out = path.join(ROOT, 'dist', `test-build-${process.pid}`);
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
  await compile(out);
  const compiled = ordered.map((f) => path.join(out, f.replace(/\.ts$/, '.js')));
  for (const f of compiled) if (!existsSync(f)) throw new Error(`${f} was not compiled`);

  // Source maps: failures name the .ts lines. Options that are not the runner's go to node, for
  // this runner's process and so for each test process.
  const forRunner = (o) => o.startsWith('--test-reporter') || o.startsWith('--test-name-pattern=');
  const runnerOptions = options.filter(forRunner);
  const nodeOptions = options.filter((o) => !forRunner(o));
  const result = spawnSync(
    process.execPath,
    ['--enable-source-maps', ...nodeOptions, fileURLToPath(import.meta.url), '--run-compiled', JSON.stringify(runnerOptions), ...compiled],
    { stdio: 'inherit' },
  );
  process.exit(result.status ?? 1);
}
