// `npm run reliability`: runs every check in reliability/checks/ (files named NN-name.ts or
// NNb-name.ts, run in that order, each exporting `checks: ReliabilityCheck[]`), prints per check
// its trials, failures and figures, then a summary. Exits 1 when any property broke; a check
// that cannot run here (no PostgreSQL, say) prints why and does not count as a failure.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import type { CheckReport, ReliabilityCheck } from './check.js';
import { startFromBundle } from './support/taskd-process.js';

const USAGE = `usage: npm run reliability -- [--quick] [--only name,name] [--seed N] [--list]
  --quick   the small versions that npm test runs
  --only    run only these checks (by name, or a prefix of one)
  --seed    seed for random choices (default: random, printed)
  --list    print the checks and exit
PostgreSQL checks use TASKD_TEST_PG_URL (skipped with the reason printed when it is not set).`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    seed: { type: 'string' },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'checks');
const files = readdirSync(dir)
  .filter((f) => /^\d+[a-z]?-.*\.ts$/.test(f))
  .sort();
const all: ReliabilityCheck[] = [];
for (const file of files) {
  const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { checks: ReliabilityCheck[] };
  all.push(...mod.checks);
}
if (values.list) {
  for (const c of all) console.log(`${c.name.padEnd(28)} ${c.title}`);
  process.exit(0);
}
const wanted = values.only
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const selected = wanted ? all.filter((c) => wanted.some((w) => c.name.startsWith(w))) : all;
if (!selected.length) {
  console.error(`no check matches --only ${values.only}\n${USAGE}`);
  process.exit(2);
}
// taskd as users start it (npm start), built from the code as it is now.
execFileSync(process.execPath, ['scripts/build-server.mjs'], { stdio: 'inherit' });
startFromBundle();

const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
console.log(`taskd reliability: ${selected.length} checks, ${values.quick ? 'quick' : 'full'} size, seed ${seed}`);

const results: { check: ReliabilityCheck; report: CheckReport; seconds: number }[] = [];
for (const check of selected) {
  console.log(`\n== ${check.name}: ${check.title}`);
  const started = performance.now();
  let report: CheckReport;
  try {
    report = await check.run({ quick: values.quick, seed, log: (line) => console.log(`   ${line}`) });
  } catch (err) {
    report = { trials: 0, failures: [`the check itself crashed: ${(err as Error).stack ?? err}`], checked: [], figures: {} };
  }
  const seconds = (performance.now() - started) / 1000;
  results.push({ check, report, seconds });
  if (report.skipped) {
    console.log(`   skipped: ${report.skipped}`);
    continue;
  }
  console.log(`   trials ${report.trials}, failures ${report.failures.length}, ${seconds.toFixed(1)} s`);
  for (const line of report.checked) console.log(`   ${report.failures.length ? 'checked' : 'held'}: ${line}`);
  for (const [name, value] of Object.entries(report.figures)) console.log(`   ${name}: ${value}`);
  for (const line of report.failures) console.log(`   FAILED: ${line}`);
}

console.log('\n== summary');
console.log(`${'check'.padEnd(28)} ${'trials'.padStart(8)} ${'failures'.padStart(9)} ${'seconds'.padStart(8)}`);
for (const { check, report, seconds } of results) {
  const trials = report.skipped ? 'skipped' : String(report.trials);
  console.log(
    `${check.name.padEnd(28)} ${trials.padStart(8)} ${String(report.failures.length).padStart(9)} ${seconds.toFixed(1).padStart(8)}`,
  );
}
console.log(`seed ${seed}`);
process.exit(results.some((r) => r.report.failures.length) ? 1 : 0);
