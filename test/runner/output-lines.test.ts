// A task's output as numbered lines (supervisor/output-lines.mjs): split at newlines in the order
// read, whatever the chunks, and a slice at a time, so that a task printing tens of thousands of
// short lines per read cannot hold the supervisor (and every other task's start) while they are split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LINES_PER_SLICE, MAX_LINE_CHARS, OutputLines } from '../../src/runner/supervisor/output-lines.mjs';
import type { OutputLine } from '../../src/runner/supervisor/protocol.js';

function collector() {
  const lines: OutputLine[] = [];
  const output = new OutputLines((line: OutputLine) => lines.push(line));
  const texts = () => lines.map((l) => `${l.seq} ${l.stream} ${l.text}`);
  return { lines, output, texts };
}

test('lines are joined across reads and numbered in the order they complete, a notice after what was read before it', () => {
  const { output, texts } = collector();
  output.write('stdout', Buffer.from('hel'));
  output.write('stderr', Buffer.from('oops\nhalf'));
  output.write('stdout', Buffer.from('lo\nwor'));
  output.notice('Memory limit exceeded');
  output.work();
  assert.deepEqual(texts(), ['1 stderr oops', '2 stdout hello', '3 stderr Memory limit exceeded']);
  output.end('stdout');
  output.end('stderr');
  assert.deepEqual(texts().slice(3), ['4 stdout wor', '5 stderr half'], 'each stream’s unterminated last line is a line at its end');
});

test('a character cut between two reads is decoded whole', () => {
  const { output, texts } = collector();
  const bytes = Buffer.from('grüße\n');
  output.write('stdout', bytes.subarray(0, 3));
  output.write('stdout', bytes.subarray(3));
  output.work();
  assert.deepEqual(texts(), ['1 stdout grüße']);
});

test('a line longer than the maximum is stored in pieces of the maximum', () => {
  const { output, lines } = collector();
  output.write('stdout', Buffer.from('x'.repeat(MAX_LINE_CHARS * 2 + 5)));
  output.work();
  assert.deepEqual(
    lines.map((l) => l.text.length),
    [MAX_LINE_CHARS, MAX_LINE_CHARS],
    'whole pieces go at once, however far the line is from its end',
  );
  output.end('stdout');
  assert.deepEqual(
    lines.map((l) => l.text.length),
    [MAX_LINE_CHARS, MAX_LINE_CHARS, 5],
  );
});

test('a read of many short lines is split a slice at a time, in order, and all of it in the end', () => {
  const { output, lines } = collector();
  const count = LINES_PER_SLICE * 3 + 17;
  output.write('stdout', Buffer.from('y\n'.repeat(count)));
  assert.equal(lines.length, 0, 'nothing is split as it is read');
  assert.equal(output.work(), true, 'more is left after one slice');
  assert.equal(lines.length, LINES_PER_SLICE);
  let slices = 1;
  while (output.work()) slices++;
  assert.equal(slices + 1, 4, 'three full slices, and one for the rest');
  assert.equal(lines.length, count);
  assert.deepEqual(
    lines.map((l) => l.seq),
    Array.from({ length: count }, (_, i) => i + 1),
  );
  assert.ok(lines.every((l) => l.text === 'y'));
});

test('drop forgets what was read and not split yet, and only that', () => {
  const { output, lines } = collector();
  output.write('stdout', Buffer.from('a\n'.repeat(LINES_PER_SLICE + 10)));
  output.work();
  output.drop();
  assert.equal(output.work(), false);
  assert.equal(lines.length, LINES_PER_SLICE);
});
