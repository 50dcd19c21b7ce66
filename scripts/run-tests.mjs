// `npm test`: every test file under test/, passed explicitly (Node 20 expands no globs after
// --test), run through tsx with node's test runner.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'support' ? [] : find(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}

const only = process.argv.slice(2);
const files = only.length ? only : find('test').sort();
if (!files.length) {
  console.error('no test files found under test/');
  process.exit(1);
}
// Three files at a time on two cores: most tests spend their time waiting on task processes, so
// a third file keeps the cores busy. More would need more PostgreSQL connections than the
// default 100 when several multi-process suites meet.
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=3', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
