// The bundle checker on its own: what it extracts, and every way a hostile tarball is refused
// without anything appearing outside the destination.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { BundleRejected, extractBundle, type BundleLimits } from '../../src/droplets/bundle.js';
import { goodBundle, tarOf, tgzOf, type TarEntry } from './tarballs.js';

const LIMITS: BundleLimits = { maxBytes: 16 * 1024 * 1024, maxEntries: 1000 };

interface Sandbox {
  dir: string;
  dest: string;
  source: string;
}

function sandbox(bundle: Buffer): Sandbox {
  const dir = mkdtempSync(path.join(tmpdir(), 'taskd-bundle-'));
  const dest = path.join(dir, 'dest');
  mkdirSync(dest);
  const source = path.join(dir, 'in.tgz');
  writeFileSync(source, bundle);
  return { dir, dest, source };
}

async function extract(bundle: Buffer, limits = LIMITS) {
  const box = sandbox(bundle);
  try {
    return { box, result: await extractBundle(box.source, box.dest, limits), error: undefined };
  } catch (error) {
    return { box, result: undefined, error: error as Error };
  }
}

/** Extraction must fail with a BundleRejected whose message matches, leaving the sandbox as it was. */
async function rejects(bundle: Buffer, message: RegExp, limits = LIMITS): Promise<Sandbox> {
  const { box, error } = await extract(bundle, limits);
  try {
    assert.ok(error instanceof BundleRejected, `expected a rejection, got ${error ?? 'success'}`);
    assert.match(error.message, message);
    assert.deepEqual(readdirSync(box.dir).sort(), ['dest', 'in.tgz'], 'nothing may be written beside the destination');
    return box;
  } finally {
    rmSync(box.dir, { recursive: true, force: true });
  }
}

describe('droplet bundle checker', () => {
  test('extracts files, directories, symlinks and hard links with sanitised modes and a sha256', async () => {
    const bundle = await goodBundle();
    const { box, result, error } = await extract(bundle);
    try {
      assert.equal(error, undefined);
      assert.equal(result!.sha256, createHash('sha256').update(bundle).digest('hex'));
      assert.equal(result!.entries, 6, 'five entries and the implicit app/config directory');
      assert.equal(readFileSync(path.join(box.dest, 'app/run.sh'), 'utf8'), '#!/bin/sh\necho hello\n');
      assert.equal(statSync(path.join(box.dest, 'app/run.sh')).mode & 0o7777, 0o755);
      assert.equal(readFileSync(path.join(box.dest, 'app/config/settings.json'), 'utf8'), '{"a":1}');
      assert.equal(readlinkSync(path.join(box.dest, 'app/current')), 'config');
      assert.equal(statSync(path.join(box.dest, 'app/run-again.sh')).ino, statSync(path.join(box.dest, 'app/run.sh')).ino);
    } finally {
      rmSync(box.dir, { recursive: true, force: true });
    }
  });

  test('strips setuid, setgid and sticky bits from files and directories', async () => {
    const { box, error } = await extract(
      await tgzOf([
        { name: 'bin/', type: 'directory', mode: 0o3775 },
        { name: 'bin/su', content: 'x', mode: 0o6755 },
      ]),
    );
    try {
      assert.equal(error, undefined);
      assert.equal(statSync(path.join(box.dest, 'bin/su')).mode & 0o7777, 0o755);
      assert.equal(statSync(path.join(box.dest, 'bin')).mode & 0o7777, 0o775);
    } finally {
      rmSync(box.dir, { recursive: true, force: true });
    }
  });

  test('accepts ./-prefixed names and repeated directory entries', async () => {
    const { box, error } = await extract(
      await tgzOf([
        { name: './', type: 'directory' },
        { name: './a/', type: 'directory' },
        { name: './a/', type: 'directory' },
        { name: './a/b.txt', content: 'b' },
      ]),
    );
    try {
      assert.equal(error, undefined);
      assert.equal(readFileSync(path.join(box.dest, 'a/b.txt'), 'utf8'), 'b');
    } finally {
      rmSync(box.dir, { recursive: true, force: true });
    }
  });

  test('refuses a .. component, naming the entry', async () => {
    await rejects(await tgzOf([{ name: '../x', content: 'pwned' }]), /^entry '\.\.\/x' has a '\.\.' path component$/);
    await rejects(await tgzOf([{ name: 'a/../../x', content: 'pwned' }]), /entry 'a\/\.\.\/\.\.\/x' has a '\.\.' path component/);
  });

  test('refuses absolute paths', async () => {
    const box = mkdtempSync(path.join(tmpdir(), 'taskd-abs-'));
    const target = path.join(box, 'x');
    try {
      await rejects(await tgzOf([{ name: target, content: 'pwned' }]), /has an absolute path/);
      await rejects(await tgzOf([{ name: '/etc/x', content: 'pwned' }]), /^entry '\/etc\/x' has an absolute path$/);
      assert.equal(existsSync(target), false);
    } finally {
      rmSync(box, { recursive: true, force: true });
    }
  });

  test('refuses symlinks that point outside, absolute or relative', async () => {
    await rejects(
      await tgzOf([{ name: 'link', type: 'symlink', linkname: '../../etc' }]),
      /^entry 'link' is a symlink to '\.\.\/\.\.\/etc', which points outside the droplet$/,
    );
    await rejects(await tgzOf([{ name: 'a/link', type: 'symlink', linkname: '../..' }]), /entry 'a\/link' is a symlink to '\.\.\/\.\.'/);
    await rejects(await tgzOf([{ name: 'link', type: 'symlink', linkname: '/etc/passwd' }]), /points outside the droplet/);
  });

  test('refuses writing through a symlink, escaping or not', async () => {
    // An escaping link is refused before anything can be written through it.
    await rejects(
      await tgzOf([
        { name: 'evil', type: 'symlink', linkname: '..' },
        { name: 'evil/x', content: 'pwned' },
      ]),
      /entry 'evil' is a symlink/,
    );
    // A harmless link still may not be used as a path to write through.
    await rejects(
      await tgzOf([
        { name: 'sub/', type: 'directory' },
        { name: 'alias', type: 'symlink', linkname: 'sub' },
        { name: 'alias/x', content: 'x' },
      ]),
      /^entry 'alias\/x' goes through the symlink 'alias'$/,
    );
  });

  test('refuses a symlink that escapes only once a later link changes its meaning', async () => {
    // When 'top' is written, x/l1 does not exist and 'x/l1/../..' reads as the bundle root; once
    // x/l1 -> .. exists, the kernel resolves top to the parent of the bundle.
    await rejects(
      await tgzOf([
        { name: 'x/', type: 'directory' },
        { name: 'top', type: 'symlink', linkname: 'x/l1/../..' },
        { name: 'x/l1', type: 'symlink', linkname: '..' },
      ]),
      /^entry 'top' is a symlink to 'x\/l1\/\.\.\/\.\.', which resolves outside the droplet$/,
    );
  });

  test('refuses symlink loops', async () => {
    await rejects(
      await tgzOf([
        { name: 'a', type: 'symlink', linkname: 'b' },
        { name: 'b', type: 'symlink', linkname: 'a' },
        { name: 'c', type: 'symlink', linkname: 'a/x' },
      ]),
      /resolves outside the droplet/,
    );
  });

  test('refuses hard links outside the bundle or to entries not yet extracted', async () => {
    await rejects(
      await tgzOf([{ name: 'h', type: 'link', linkname: '../x' }]),
      /^entry 'h' is a hard link to '\.\.\/x', which points outside the droplet$/,
    );
    await rejects(await tgzOf([{ name: 'h', type: 'link', linkname: '/etc/passwd' }]), /points outside the droplet/);
    await rejects(
      await tgzOf([
        { name: 'h', type: 'link', linkname: 'later' },
        { name: 'later', content: 'x' },
      ]),
      /^entry 'h' is a hard link to 'later', which is not a regular file extracted earlier$/,
    );
    await rejects(
      await tgzOf([
        { name: 's', type: 'symlink', linkname: '.' },
        { name: 'h', type: 'link', linkname: 's' },
      ]),
      /not a regular file extracted earlier/,
    );
  });

  test('refuses device files and FIFOs', async () => {
    await rejects(
      await tgzOf([{ name: 'dev/null', type: 'character-device' }]),
      /^entry 'dev\/null' is a character device; device files, FIFOs and sockets are not allowed$/,
    );
    await rejects(await tgzOf([{ name: 'disk', type: 'block-device' }]), /entry 'disk' is a block device/);
    await rejects(await tgzOf([{ name: 'pipe', type: 'fifo' }]), /entry 'pipe' is a FIFO/);
  });

  test('refuses duplicate paths and entries inside a file', async () => {
    await rejects(
      await tgzOf([
        { name: 'a', content: '1' },
        { name: 'a', content: '2' },
      ]),
      /^entry 'a' appears more than once in the bundle$/,
    );
    await rejects(
      await tgzOf([
        { name: 'a', content: '1' },
        { name: 'a/b', content: '2' },
      ]),
      /entry 'a\/b' is inside 'a', which is not a directory/,
    );
  });

  test('refuses data that is not a gzip tarball', async () => {
    await rejects(await tarOf([{ name: 'a', content: '1' }]), /^the bundle is not gzip-compressed$/);
    await rejects(gzipSync(Buffer.from('this is not a tar archive at all, just text')), /^the bundle is not a valid tar archive$/);
    await rejects(gzipSync(Buffer.alloc(2048, 7)), /^the bundle is not a valid tar archive$/);
    const good = await goodBundle();
    await rejects(good.subarray(0, good.length - 12), /^the bundle (is not valid gzip data|ended unexpectedly|is not a valid tar archive)/);
    await rejects(Buffer.alloc(0), /^the bundle is not gzip-compressed$/);
  });

  test('stops a gzip bomb at the uncompressed cap', async () => {
    const bomb = await tgzOf([{ name: 'zeros', content: Buffer.alloc(8 * 1024 * 1024) }]);
    assert.ok(bomb.length < 64 * 1024, 'the bomb is small when compressed');
    const limits = { maxBytes: 1024 * 1024, maxEntries: 10 };
    const { box, error } = await extract(bomb, limits);
    try {
      assert.ok(error instanceof BundleRejected);
      assert.equal(error.message, 'the bundle expands to more than 1048576 bytes');
      const written = existsSync(path.join(box.dest, 'zeros')) ? lstatSync(path.join(box.dest, 'zeros')).size : 0;
      assert.ok(written <= limits.maxBytes, `wrote ${written} bytes`);
    } finally {
      rmSync(box.dir, { recursive: true, force: true });
    }
  });

  test('caps the number of entries, counting implicitly created directories', async () => {
    const many: TarEntry[] = Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, content: 'x' }));
    await rejects(await tgzOf(many), /^the bundle has more than 10 entries$/, { maxBytes: LIMITS.maxBytes, maxEntries: 10 });
    await rejects(await tgzOf([{ name: 'a/b/c/d/e/f/g/h/i/j/k/l', content: 'x' }]), /^the bundle has more than 10 entries$/, {
      maxBytes: LIMITS.maxBytes,
      maxEntries: 10,
    });
  });
});
