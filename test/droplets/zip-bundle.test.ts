// The zip converter on its own: a package converts into a bundle that extractBundle accepts and
// that holds the same tree, and every way a hostile zip is refused leaves no bundle behind and
// no descriptor open.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  lstatSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { BundleRejected, BundleTooLarge, extractBundle, type BundleLimits } from '../../src/droplets/bundle.js';
import { zipToBundle } from '../../src/droplets/zip-bundle.js';
import { dir, file, symlink, zipOf, type ZipEntry } from '../support/zip.js';
import { goodBundle } from './tarballs.js';

const LIMITS: BundleLimits = { maxBytes: 16 * 1024 * 1024, maxEntries: 1000 };

interface Sandbox {
  dir: string;
  zip: string;
  bundle: string;
  dest: string;
}

function sandbox(zip: Buffer): Sandbox {
  const root = mkdtempSync(path.join(tmpdir(), 'taskd-zip-'));
  const box = { dir: root, zip: path.join(root, 'package.zip'), bundle: path.join(root, 'droplet.tgz'), dest: path.join(root, 'dest') };
  writeFileSync(box.zip, zip);
  mkdirSync(box.dest);
  return box;
}

/** Descriptors of this process open on a file (Linux's /proc), to show none is left behind. */
function openDescriptorsOn(file: string): string[] {
  const fds = '/proc/self/fd';
  if (!existsSync(fds)) return [];
  return readdirSync(fds).filter((fd) => {
    try {
      return readlinkSync(path.join(fds, fd)) === file;
    } catch {
      return false; // the descriptor readdir itself used, closed by now
    }
  });
}

/** Converts a package and extracts the bundle it becomes; the caller removes the sandbox. */
async function convertAndExtract(zip: Buffer, limits = LIMITS) {
  const box = sandbox(zip);
  const converted = await zipToBundle(box.zip, box.bundle, limits);
  const extracted = await extractBundle(box.bundle, box.dest, limits);
  return { box, converted, extracted };
}

/** Conversion must fail with a BundleRejected whose message matches, leaving no bundle and no open descriptor. */
async function rejects(zip: Buffer, message: RegExp, limits = LIMITS): Promise<BundleRejected> {
  const box = sandbox(zip);
  try {
    const error = await zipToBundle(box.zip, box.bundle, limits).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(error instanceof BundleRejected, `expected a rejection, got ${String(error ?? 'success')}`);
    assert.match(error.message, message);
    assert.equal(existsSync(box.bundle), false, 'the partial bundle is removed');
    assert.deepEqual(openDescriptorsOn(box.zip), [], 'the package is closed');
    return error;
  } finally {
    rmSync(box.dir, { recursive: true, force: true });
  }
}

const mode = (p: string) => statSync(p).mode & 0o7777;

describe('zip package converter', () => {
  test('converts a tree of nested directories, files with their modes and a symlink into a bundle extractBundle accepts', async () => {
    const deep = `app/${'d'.repeat(60)}/${'e'.repeat(60)}/deep.txt`; // past ustar's 100 bytes: a pax header
    const zip = zipOf([
      { name: 'app/', mode: dir() },
      { name: 'app/bin/', mode: dir(0o750) },
      { name: 'app/bin/run.sh', content: '#!/bin/sh\necho hello\n', mode: file(0o755) },
      { name: 'app/config/', mode: dir() },
      { name: 'app/config/settings.json', content: '{"a":1}', mode: file(0o600), method: 'store' },
      { name: 'app/current', content: 'config', mode: symlink() },
      { name: 'app/empty.txt', content: '', mode: file() },
      { name: 'app/big.bin', content: Buffer.alloc(300 * 1024, 'abc') },
      { name: 'app/résumé.txt', content: 'utf-8 name' },
      { name: 'windows/', externalAttributes: 0x10 },
      { name: 'windows/readme.txt', content: 'no unix mode' },
      { name: deep, content: 'deep' },
    ]);
    const { box, converted, extracted } = await convertAndExtract(zip);
    try {
      assert.deepEqual(converted, {
        sha256: createHash('sha256').update(zip).digest('hex'),
        bytes: 21 + 7 + 6 + 300 * 1024 + 10 + 12 + 4,
        entries: 12,
      });
      assert.equal(mode(box.bundle), 0o600);
      assert.ok(extracted.entries >= 12);
      const at = (rel: string) => path.join(box.dest, rel);
      assert.equal(readFileSync(at('app/bin/run.sh'), 'utf8'), '#!/bin/sh\necho hello\n');
      assert.equal(mode(at('app/bin/run.sh')), 0o755);
      assert.equal(mode(at('app/bin')), 0o750);
      assert.equal(readFileSync(at('app/config/settings.json'), 'utf8'), '{"a":1}');
      assert.equal(mode(at('app/config/settings.json')), 0o600);
      assert.ok(lstatSync(at('app/current')).isSymbolicLink());
      assert.equal(readlinkSync(at('app/current')), 'config');
      assert.equal(statSync(at('app/empty.txt')).size, 0);
      assert.ok(readFileSync(at('app/big.bin')).equals(Buffer.alloc(300 * 1024, 'abc')));
      assert.equal(readFileSync(at('app/résumé.txt'), 'utf8'), 'utf-8 name');
      // No unix mode in the zip (made on Windows): unzip's defaults.
      assert.equal(mode(at('windows')), 0o755);
      assert.equal(mode(at('windows/readme.txt')), 0o644);
      assert.equal(readFileSync(at(deep), 'utf8'), 'deep');
      assert.deepEqual(openDescriptorsOn(box.zip), []);
    } finally {
      rmSync(box.dir, { recursive: true, force: true });
    }
  });

  test('converts the same package into the same bundle, byte for byte', async () => {
    const zip = zipOf([{ name: 'a.txt', content: 'a', mode: file() }]);
    const first = sandbox(zip);
    const second = sandbox(zip);
    try {
      await zipToBundle(first.zip, first.bundle, LIMITS);
      await zipToBundle(second.zip, second.bundle, LIMITS);
      assert.ok(readFileSync(first.bundle).equals(readFileSync(second.bundle)));
    } finally {
      rmSync(first.dir, { recursive: true, force: true });
      rmSync(second.dir, { recursive: true, force: true });
    }
  });

  test("converts a zip made by a real tool (Python's zipfile), symlink included", { skip: !hasPython() }, async () => {
    const box = sandbox(Buffer.alloc(0));
    try {
      // Like Go's archive/zip for `cf push`: directory entries, unix modes in the upper 16 bits,
      // a symlink as an entry of mode S_IFLNK whose content is its target; deflate and store.
      const script = `
import sys, zipfile
def info(name, mode):
    i = zipfile.ZipInfo(name, (2024, 1, 2, 3, 4, 6))
    i.create_system = 3
    i.external_attr = mode << 16
    return i
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr(info('app/', 0o40755), b'')
    z.writestr(info('app/run.sh', 0o100755), b'#!/bin/sh\\necho hi\\n', zipfile.ZIP_DEFLATED)
    z.writestr(info('app/data.txt', 0o100640), b'x' * 100000, zipfile.ZIP_DEFLATED)
    z.writestr(info('app/stored.txt', 0o100644), b'stored', zipfile.ZIP_STORED)
    z.writestr(info('app/link', 0o120777), b'data.txt')
`;
      execFileSync('python3', ['-c', script, box.zip]);
      const converted = await zipToBundle(box.zip, box.bundle, LIMITS);
      assert.equal(converted.entries, 5);
      assert.equal(converted.bytes, 18 + 100000 + 6 + 8);
      await extractBundle(box.bundle, box.dest, LIMITS);
      assert.equal(readFileSync(path.join(box.dest, 'app/run.sh'), 'utf8'), '#!/bin/sh\necho hi\n');
      assert.equal(mode(path.join(box.dest, 'app/run.sh')), 0o755);
      assert.equal(mode(path.join(box.dest, 'app/data.txt')), 0o640);
      assert.equal(readFileSync(path.join(box.dest, 'app/data.txt'), 'utf8'), 'x'.repeat(100000));
      assert.equal(readFileSync(path.join(box.dest, 'app/stored.txt'), 'utf8'), 'stored');
      assert.equal(readlinkSync(path.join(box.dest, 'app/link')), 'data.txt');
    } finally {
      rmSync(box.dir, { recursive: true, force: true });
    }
  });

  test('converts an empty zip (an app with no files) into an empty bundle', async () => {
    const { box, converted, extracted } = await convertAndExtract(zipOf([]));
    try {
      assert.equal(converted.entries, 0);
      assert.equal(converted.bytes, 0);
      assert.equal(extracted.entries, 0);
      assert.deepEqual(readdirSync(box.dest), []);
    } finally {
      rmSync(box.dir, { recursive: true, force: true });
    }
  });

  test('refuses what is not a zip archive', async () => {
    await rejects(await goodBundle(), /^the package is not a zip archive$/);
    await rejects(Buffer.from('just some text, no archive'), /^the package is not a zip archive$/);
    await rejects(Buffer.from('PK'), /^the package is not a zip archive$/);
    await rejects(Buffer.alloc(0), /^the package is not a zip archive$/);
  });

  test('refuses a truncated or corrupt zip', async () => {
    const good = zipOf([{ name: 'a.txt', content: 'a'.repeat(1000), mode: file() }]);
    await rejects(good.subarray(0, good.length - 10), /^the package is a corrupt or truncated zip archive \(/);
    await rejects(good.subarray(0, 40), /^the package is a corrupt or truncated zip archive \(/);
    // A central directory that points past the end of the file.
    const lying = Buffer.from(good);
    lying.writeUInt32LE(0x7fffffff, lying.length - 6);
    await rejects(lying, /^the package is a corrupt or truncated zip archive \(/);
    // Deflate data that is not deflate data.
    await rejects(
      zipOf([{ name: 'a.txt', content: 'abc', raw: Buffer.from([0xff, 0xff, 0xff, 0xff]) }]),
      /^entry 'a\.txt' is corrupt \(its deflate data is invalid\)$/,
    );
  });

  test('refuses sizes and CRC-32s that do not match the data', async () => {
    const content = 'hello, world';
    await rejects(zipOf([{ name: 'short', content, uncompressedSize: 5 }]), /^entry 'short' is corrupt \(too many bytes/);
    await rejects(zipOf([{ name: 'long', content, uncompressedSize: 500 }]), /^entry 'long' is corrupt \(not enough bytes/);
    await rejects(
      zipOf([{ name: 'stored', content, method: 'store', uncompressedSize: 3 }]),
      /^the package is a corrupt or truncated zip archive \(compressed\/uncompressed size mismatch/,
    );
    await rejects(zipOf([{ name: 'crc', content, crc32: 1234 }]), /^entry 'crc' is corrupt \(its CRC-32 does not match its data\)$/);
    await rejects(
      zipOf([{ name: 'link', content: 'target', mode: symlink(), crc32: 1234 }]),
      /^entry 'link' is corrupt \(its CRC-32 does not match its data\)$/,
    );
  });

  test('refuses encrypted entries and compression methods other than store and deflate', async () => {
    await rejects(zipOf([{ name: 'secret.txt', content: 'x', flags: 0x1 }]), /^entry 'secret\.txt' is encrypted$/);
    await rejects(
      zipOf([{ name: 'b.bz2', content: 'x', method: 12 }]),
      /^entry 'b\.bz2' is compressed with method 12; only store and deflate are supported$/,
    );
  });

  test('refuses names bundle.ts refuses, with its messages', async () => {
    await rejects(zipOf([{ name: '/etc/passwd', content: 'x' }]), /^entry '\/etc\/passwd' has an absolute path$/);
    await rejects(zipOf([{ name: '../x', content: 'x' }]), /^entry '\.\.\/x' has a '\.\.' path component$/);
    await rejects(zipOf([{ name: 'a/../../x', content: 'x' }]), /^entry 'a\/\.\.\/\.\.\/x' has a '\.\.' path component$/);
    await rejects(zipOf([{ name: 'a\0b', content: 'x' }]), /^entry 'a\\u0000b' has a NUL character in its name$/);
    await rejects(zipOf([{ name: 'n'.repeat(4097), content: 'x' }]), /has a name longer than 4096 bytes$/);
    await rejects(zipOf([{ name: '', content: 'x' }]), /^entry '' has an empty name$/);
  });

  test("refuses Windows' absolute forms and backslashes", async () => {
    await rejects(zipOf([{ name: '\\windows\\x', content: 'x' }]), /^entry '\\\\windows\\\\x' has an absolute path$/);
    await rejects(zipOf([{ name: '\\\\server\\share\\x', content: 'x' }]), /has an absolute path$/);
    await rejects(zipOf([{ name: 'C:/x', content: 'x' }]), /^entry 'C:\/x' has an absolute path$/);
    await rejects(zipOf([{ name: 'c:x', content: 'x' }]), /^entry 'c:x' has an absolute path$/);
    await rejects(zipOf([{ name: '..\\..\\x', content: 'x' }]), /^entry '\.\.\\\\\.\.\\\\x' has a backslash in its name$/);
  });

  test('refuses the same path twice, however it is spelled', async () => {
    const twice = (a: string, b: string, bMode?: number) =>
      zipOf([
        { name: a, content: '' },
        { name: b, content: '', mode: bMode },
      ]);
    await rejects(twice('a.txt', 'a.txt'), /^entry 'a\.txt' appears more than once in the package$/);
    await rejects(twice('a', 'a/', dir()), /^entry 'a\/' appears more than once in the package$/);
    await rejects(twice('d/', 'd/', dir()), /^entry 'd\/' appears more than once in the package$/);
    await rejects(twice('x/a', './x//a'), /^entry '\.\/x\/\/a' appears more than once in the package$/);
  });

  test('refuses device files, FIFOs and sockets, and directories with content', async () => {
    for (const [name, type] of [
      ['null', 0o020000],
      ['disk', 0o060000],
      ['pipe', 0o010000],
      ['sock', 0o140000],
    ] as const) {
      await rejects(
        zipOf([{ name, content: '', mode: type | 0o644 }]),
        new RegExp(`^entry '${name}' is a device file, FIFO or socket; device files, FIFOs and sockets are not allowed$`),
      );
    }
    await rejects(zipOf([{ name: 'd/', content: 'hidden', mode: dir() }]), /^entry 'd\/' is a directory with content$/);
  });

  test('refuses symlinks with absolute, empty or oversized targets, and leaves escaping ones to extractBundle', async () => {
    await rejects(
      zipOf([{ name: 'l', content: '/etc/passwd', mode: symlink() }]),
      /^entry 'l' is a symlink to '\/etc\/passwd', which points outside the droplet$/,
    );
    await rejects(zipOf([{ name: 'l', content: '', mode: symlink() }]), /^entry 'l' is a symlink with an invalid target$/);
    await rejects(
      zipOf([{ name: 'l', content: 'a/'.repeat(2049), mode: symlink() }]),
      /^entry 'l' is a symlink whose target is longer than 4096 bytes$/,
    );
    // Declared small, inflating to more: stopped at the declared size, before the cap matters.
    await rejects(
      zipOf([{ name: 'l', content: 'a/'.repeat(3000), mode: symlink(), uncompressedSize: 10 }]),
      /^entry 'l' is corrupt \(too many bytes/,
    );
    const box = sandbox(zipOf([{ name: 'app/escape', content: '../../etc', mode: symlink() }]));
    try {
      await zipToBundle(box.zip, box.bundle, LIMITS);
      await assert.rejects(
        extractBundle(box.bundle, box.dest, LIMITS),
        (err: Error) => err instanceof BundleRejected && /^entry 'app\/escape' is a symlink to '\.\.\/\.\.\/etc'/.test(err.message),
      );
    } finally {
      rmSync(box.dir, { recursive: true, force: true });
    }
  });

  test('counts entries from the central directory before reading any', async () => {
    const many: ZipEntry[] = Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, content: 'x' }));
    await rejects(zipOf(many), /^the package has more than 10 entries$/, { maxBytes: LIMITS.maxBytes, maxEntries: 10 });
    // One real entry, an end record claiming 60,000: refused on the claim, nothing read.
    await rejects(zipOf([{ name: 'a', content: 'x' }], { declaredEntries: 60000 }), /^the package has more than 1000 entries$/);
  });

  test('stops a zip bomb at the uncompressed cap, whatever sizes it declares', async () => {
    const zeros = Buffer.alloc(50 * 1024 * 1024);
    const deflated = deflateRawSync(zeros);
    assert.ok(deflated.length < 100 * 1024, 'the bomb is small when compressed');
    const limits = { maxBytes: 1024 * 1024, maxEntries: 10 };
    const error = await rejects(
      zipOf([{ name: 'zeros', content: zeros, raw: deflated }]),
      /^the bundle expands to more than 1048576 bytes$/,
      limits,
    );
    assert.ok(error instanceof BundleTooLarge);
    // Many entries, each within the cap, together over it.
    const pieces: ZipEntry[] = Array.from({ length: 4 }, (_, i) => ({ name: `p${i}`, content: Buffer.alloc(300 * 1024) }));
    await rejects(zipOf(pieces), /^the bundle expands to more than 1048576 bytes$/, limits);
  });

  test('does not overwrite an existing bundle, and passes filesystem failures on as they are', async () => {
    const box = sandbox(zipOf([{ name: 'a', content: 'x' }]));
    try {
      writeFileSync(box.bundle, 'already here');
      await assert.rejects(zipToBundle(box.zip, box.bundle, LIMITS), (err: NodeJS.ErrnoException) => err.code === 'EEXIST');
      assert.equal(readFileSync(box.bundle, 'utf8'), 'already here');
      rmSync(box.bundle);
      await assert.rejects(zipToBundle(path.join(box.dir, 'missing.zip'), box.bundle, LIMITS), (err: NodeJS.ErrnoException) => {
        return err.code === 'ENOENT' && !(err instanceof BundleRejected);
      });
      assert.equal(existsSync(box.bundle), false);
      await assert.rejects(
        zipToBundle(box.zip, path.join(box.dir, 'no-such-dir', 'droplet.tgz'), LIMITS),
        (err: NodeJS.ErrnoException) => err.code === 'ENOENT',
      );
    } finally {
      rmSync(box.dir, { recursive: true, force: true });
    }
  });
});

function hasPython(): boolean {
  return spawnSync('python3', ['-c', 'import zipfile'], { stdio: 'ignore' }).status === 0;
}
