// Password hashes (auth/passwords.ts, auth/hash-thread.ts): scrypt on hashing threads of their
// own, below the priority of everything else taskd does, so that logins anyone can ask for do not
// take the cores from the requests of the tenants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { hashPassword, verifyPassword } from '../../src/auth/passwords.js';

/** The nice value of each of this process's threads (field 19 of /proc/self/task/<tid>/stat). */
function threadNiceness(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

test('a password hashes and verifies on a thread niced below the rest of taskd', async () => {
  const own = threadNiceness()[0]!;
  const stored = await hashPassword('correct horse battery staple');
  assert.equal(await verifyPassword('correct horse battery staple', stored), true);
  assert.equal(await verifyPassword('correct horse battery stapler', stored), false);
  const niced = threadNiceness().filter((n) => n > own);
  assert.ok(niced.length >= 1, `a thread niced above ${own}: ${threadNiceness().join(' ')}`);
  assert.ok(
    niced.every((n) => n === Math.min(19, own + 10)),
    `niceness ${niced.join(' ')}`,
  );
});
