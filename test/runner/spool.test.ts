// A task's spool on a disk that fills up: the records that did not fit are lost from the spool
// only (taskd got them live), the file stays readable — no torn record — and it takes the records
// that come once space is freed, so a restarted taskd can still replay the task's end.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fillUp, mountSmallFilesystem, type SmallFilesystem } from '../../reliability/disk/small-filesystem.js';

interface SpoolModule {
  Spool: new (file: string) => { append(records: object[]): Promise<void>; close(): Promise<void> };
  readSpool(file: string): AsyncIterable<Record<string, unknown>>;
}

let fs: SmallFilesystem | undefined;
let cannotMount: string | false = false;
try {
  fs = mountSmallFilesystem(1);
} catch (err) {
  cannotMount = `${(err as Error).message} (needs root)`;
}
after(() => fs?.unmount());

test('a spool written through a full disk stays readable and goes on once space is freed', { skip: cannotMount }, async () => {
  // Plain JavaScript of the supervisor's, loaded as it is.
  const spoolModule = '../../src/runner/supervisor/spool.mjs';
  const { Spool, readSpool } = (await import(spoolModule)) as SpoolModule;
  const file = path.join(fs!.dir, 'task.spool');
  const spool = new Spool(file);
  await spool.append([{ task: { cwd: '/nowhere' } }, { n: 1, t: 'then', s: 'o', x: 'before' }]);
  const filler = path.join(fs!.dir, 'filler');
  fillUp(filler);
  // Big enough to be cut short by the full disk (a page's slack takes small writes).
  const big = 'y'.repeat(64 * 1024);
  for (let n = 2; n <= 5; n++) await spool.append([{ n, t: 'then', s: 'o', x: big }]);
  rmSync(filler);
  await spool.append([{ n: 6, t: 'then', s: 'o', x: 'after' }, { exit: { code: 0, signal: null } }]);
  await spool.close();
  const records = [];
  for await (const record of readSpool(file)) records.push(record);
  assert.deepEqual(records[0], { task: { cwd: '/nowhere' } });
  assert.deepEqual(records.at(-1), { exit: { code: 0, signal: null } }, 'the end is spooled after the full disk');
  assert.deepEqual(records.at(-2), { n: 6, t: 'then', s: 'o', x: 'after' });
  const numbers = records.filter((r) => r.n !== undefined).map((r) => r.n as number);
  assert.deepEqual(
    numbers,
    [...numbers].sort((a, b) => a - b),
    'lines in order',
  );
  assert.ok(numbers.length < 6, 'the lines that did not fit are missing, not torn');
});
