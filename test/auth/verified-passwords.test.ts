// Verdicts remembered for a minute (auth/verified-passwords.ts): a password given again, right or
// wrong, is answered without the slow hash; anything that changes who or what is checked is a miss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { recentVerdict, rememberVerdict } from '../../src/auth/verified-passwords.js';

const user = () => ({ guid: randomUUID(), password_hash: `scrypt$${randomUUID()}` });

test('the same wrong password again is refused from memory; another wrong password is not known', () => {
  const alice = user();
  assert.equal(recentVerdict(alice, 'old password'), undefined);
  rememberVerdict(alice, 'old password', false);
  assert.equal(recentVerdict(alice, 'old password'), false);
  // A guess is a password not tried yet: it still goes to scrypt.
  assert.equal(recentVerdict(alice, 'old password!'), undefined);
  // The right one, once verified, is accepted from memory beside the remembered failure.
  rememberVerdict(alice, 'new password', true);
  assert.equal(recentVerdict(alice, 'new password'), true);
  assert.equal(recentVerdict(alice, 'old password'), false);
});

test('a verdict holds only for the user and hash it was made for', () => {
  const alice = user();
  rememberVerdict(alice, 'pw', true);
  // A changed password (a new hash): the old one is no longer known to be right.
  assert.equal(recentVerdict({ ...alice, password_hash: `scrypt$${randomUUID()}` }, 'pw'), undefined);
  // Another user with the same password.
  assert.equal(recentVerdict(user(), 'pw'), undefined);
});

test('a refused unknown name is not refused once a user of that name exists', () => {
  rememberVerdict({ unknownUsername: 'carol' }, 'pw', false);
  assert.equal(recentVerdict({ unknownUsername: 'carol' }, 'pw'), false);
  assert.equal(recentVerdict({ unknownUsername: 'carol2' }, 'pw'), undefined);
  assert.equal(recentVerdict({ ...user(), guid: 'carol' }, 'pw'), undefined);
});

test('a flood of wrong passwords does not push out the right ones', () => {
  const alice = user();
  rememberVerdict(alice, 'right', true);
  for (let i = 0; i < 5000; i++) rememberVerdict(alice, `guess ${i}`, false);
  assert.equal(recentVerdict(alice, 'right'), true);
  // The failures are bounded: the oldest went.
  assert.equal(recentVerdict(alice, 'guess 0'), undefined);
  assert.equal(recentVerdict(alice, 'guess 4999'), false);
});
