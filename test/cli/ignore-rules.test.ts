// `.taskdignore` patterns, as `taskd push` applies them to each path it walks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IgnoreRules } from '../../src/cli/client/ignore-rules.js';

const rules = IgnoreRules.parse(
  [
    '# comment',
    '',
    'secret.env',
    '*.log',
    'build/',
    '/top.txt',
    'docs/*.md',
    'cache/**/tmp',
    '!keep.log',
    '\\#hash',
    'file?.txt',
    '  ',
  ].join('\n'),
);

test('a plain name matches at any depth; comments and blank lines are skipped', () => {
  assert.equal(rules.ignores('secret.env', false), true);
  assert.equal(rules.ignores('config/secret.env', false), true);
  assert.equal(rules.ignores('# comment', false), false);
  assert.equal(rules.ignores('#hash', false), true, '\\# is a name starting with #');
});

test('* stays within a segment, ? is one character; the last matching line decides (!)', () => {
  assert.equal(rules.ignores('debug.log', false), true);
  assert.equal(rules.ignores('logs/app.log', false), true);
  assert.equal(rules.ignores('keep.log', false), false);
  assert.equal(rules.ignores('file1.txt', false), true);
  assert.equal(rules.ignores('file10.txt', false), false);
});

test('a trailing slash matches directories only; a slash anchors the pattern at the root', () => {
  assert.equal(rules.ignores('build', true), true);
  assert.equal(rules.ignores('src/build', true), true);
  assert.equal(rules.ignores('build', false), false);
  assert.equal(rules.ignores('top.txt', false), true);
  assert.equal(rules.ignores('sub/top.txt', false), false);
  assert.equal(rules.ignores('docs/a.md', false), true);
  assert.equal(rules.ignores('docs/deep/a.md', false), false);
});

test('** spans any number of directories', () => {
  assert.equal(rules.ignores('cache/tmp', true), true);
  assert.equal(rules.ignores('cache/a/b/tmp', true), true);
  assert.equal(rules.ignores('other/tmp', true), false);
});

test('regular-expression characters in names are literal', () => {
  const r = IgnoreRules.parse('a+b(c).txt\n[ab].cfg\n');
  assert.equal(r.ignores('a+b(c).txt', false), true);
  assert.equal(r.ignores('aab(c).txt', false), false);
  assert.equal(r.ignores('a.cfg', false), true);
  assert.equal(r.ignores('c.cfg', false), false);
});
