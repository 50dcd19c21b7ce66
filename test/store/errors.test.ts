// Which store and file errors mean "out of space": those are answered as a clean 503 and waited
// through, never taken for bugs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStorageFull, isUniqueViolation } from '../../src/store/errors.js';

test('SQLite, file system and PostgreSQL disk-full errors count as storage full, also as causes', () => {
  for (const code of ['SQLITE_FULL', 'ENOSPC', 'EDQUOT', '53100']) {
    assert.equal(isStorageFull(Object.assign(new Error(code), { code })), true, code);
    assert.equal(isStorageFull(new Error('wrapped', { cause: Object.assign(new Error(code), { code }) })), true, `${code} as a cause`);
  }
});

test('other errors do not', () => {
  for (const err of [
    new Error('boom'),
    Object.assign(new Error(), { code: 'SQLITE_BUSY' }),
    Object.assign(new Error(), { code: '23505' }),
    undefined,
    null,
    'ENOSPC',
  ]) {
    assert.equal(isStorageFull(err), false, String(err));
  }
  assert.equal(isUniqueViolation(Object.assign(new Error(), { code: '23505' })), true);
});
