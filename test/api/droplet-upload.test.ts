import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';
import { createDroplet, treeOf, uploadBits, waitForJob } from '../droplets/helpers.js';
import { goodBundle, multipart, tarOf, tgzOf, type TarEntry } from '../droplets/tarballs.js';
import { createJob } from '../../src/actions/jobs.js';
import { createTaskd } from '../../src/taskd.js';

const UNPROCESSABLE = ['CF-UnprocessableEntity', 10008] as const;
const INVALID = 'Uploaded droplet file is invalid: ';

async function freshApp(h: Harness) {
  const org = await h.org();
  const space = await h.space(org.guid);
  return { org, space, app: await h.app(space.guid) };
}

const stateOf = async (h: Harness, guid: string) => (await h.get(`/v3/droplets/${guid}`)).body.state;

describeEachStore('droplet upload', (h) => {
  const matrix = sharedRoleMatrix(h);

  test('accepts a tgz as bits: 202, Location of a job, PROCESSING_UPLOAD, then STAGED with a sha256', async () => {
    const { app } = await freshApp(h);
    const droplet = await createDroplet(h, app.guid);
    const bundle = await goodBundle();
    const res = await uploadBits(h, droplet.guid, bundle);
    assert.equal(res.status, 202);
    const location = String(res.headers.location);
    assert.match(location, /^https:\/\/api\.example\.org\/v3\/jobs\/[0-9a-f-]{36}$/);
    assert.equal(res.body.guid, droplet.guid);
    assert.equal(res.body.state, 'PROCESSING_UPLOAD');
    assert.equal(res.body.links.upload, undefined, 'only an AWAITING_UPLOAD droplet links to its upload');
    assert.deepEqual(res.body.process_types, { web: '' });

    const job = await waitForJob(h, location);
    assert.equal(job.state, 'COMPLETE');
    assert.equal(job.operation, 'droplet.upload');
    assert.deepEqual(job.errors, []);
    assert.deepEqual(job.links.droplet, { href: `https://api.example.org/v3/droplets/${droplet.guid}` });

    const staged = (await h.get(`/v3/droplets/${droplet.guid}`)).body;
    assert.equal(staged.state, 'STAGED');
    assert.equal(staged.error, null);
    assert.deepEqual(staged.checksum, { type: 'sha256', value: createHash('sha256').update(bundle).digest('hex') });
    const dir = path.join(h.config.dataDir, 'droplets', droplet.guid);
    assert.equal(readFileSync(path.join(dir, 'app/run.sh'), 'utf8'), '#!/bin/sh\necho hello\n');
    assert.equal(statSync(path.join(dir, 'app/run.sh')).mode & 0o777, 0o755);
    assert.deepEqual(readdirSync(path.join(h.config.dataDir, 'droplets', '.incoming')), [], 'no upload or staging leftovers');
  });

  test('accepts a .tar.gz name', async () => {
    const { app } = await freshApp(h);
    const droplet = await createDroplet(h, app.guid);
    const res = await uploadBits(h, droplet.guid, await goodBundle(), { filename: 'my-app.tar.gz' });
    assert.equal(res.status, 202);
    assert.equal((await waitForJob(h, String(res.headers.location))).state, 'COMPLETE');
  });

  test('a droplet may be uploaded only once', async () => {
    const { app } = await freshApp(h);
    const droplet = await createDroplet(h, app.guid);
    const first = await uploadBits(h, droplet.guid, await goodBundle());
    assert.equal(first.status, 202);
    cfError(
      await uploadBits(h, droplet.guid, await goodBundle()),
      422,
      ...UNPROCESSABLE,
      'Droplet may be uploaded only once. Create a new droplet to upload bits.',
    );
    await waitForJob(h, String(first.headers.location));
    cfError(
      await uploadBits(h, droplet.guid, await goodBundle()),
      422,
      ...UNPROCESSABLE,
      'Droplet may be uploaded only once. Create a new droplet to upload bits.',
    );
  });

  test('of two racing uploads exactly one is accepted', async () => {
    const { app } = await freshApp(h);
    const droplet = await createDroplet(h, app.guid);
    const bundle = await goodBundle();
    const results = await Promise.all([uploadBits(h, droplet.guid, bundle), uploadBits(h, droplet.guid, bundle)]);
    assert.deepEqual(results.map((r) => r.status).sort(), [202, 422]);
    const accepted = results.find((r) => r.status === 202)!;
    assert.equal((await waitForJob(h, String(accepted.headers.location))).state, 'COMPLETE');
    assert.deepEqual(readdirSync(path.join(h.config.dataDir, 'droplets', '.incoming')), []);
  });

  test("refuses requests without a bits file with CF's message, leaving the droplet AWAITING_UPLOAD", async () => {
    const { app } = await freshApp(h);
    const droplet = await createDroplet(h, app.guid);
    const missing = `${INVALID}A droplet tgz file must be uploaded as 'bits'`;
    cfError(await uploadBits(h, droplet.guid, await goodBundle(), { field: 'bots' }), 422, ...UNPROCESSABLE, missing);
    cfError(
      await h.post(`/v3/droplets/${droplet.guid}/upload`, { bits_name: 'x.tgz', bits_path: '/etc/passwd' }),
      422,
      ...UNPROCESSABLE,
      missing,
    );
    const fieldsOnly = multipart([{ field: 'bits', content: 'not a file part' }]);
    cfError(
      await h.request('POST', `/v3/droplets/${droplet.guid}/upload`, {
        token: h.admin.token,
        payload: fieldsOnly.payload,
        headers: { 'content-type': fieldsOnly.contentType },
      }),
      422,
      ...UNPROCESSABLE,
      missing,
    );
    assert.equal(await stateOf(h, droplet.guid), 'AWAITING_UPLOAD');
  });

  test('refuses a file that is not named .tgz or is empty', async () => {
    const { app } = await freshApp(h);
    const droplet = await createDroplet(h, app.guid);
    cfError(
      await uploadBits(h, droplet.guid, await goodBundle(), { filename: 'droplet.zip' }),
      422,
      ...UNPROCESSABLE,
      `${INVALID}droplet.zip is not a tgz`,
    );
    cfError(
      await uploadBits(h, droplet.guid, await goodBundle(), { filename: 'droplet.TGZ' }),
      422,
      ...UNPROCESSABLE,
      `${INVALID}droplet.TGZ is not a tgz`,
    );
    cfError(await uploadBits(h, droplet.guid, ''), 422, ...UNPROCESSABLE, `${INVALID}droplet.tgz cannot be empty`);
    cfError(
      await uploadBits(h, droplet.guid, '', { filename: 'empty.zip' }),
      422,
      ...UNPROCESSABLE,
      `${INVALID}empty.zip is not a tgz, empty.zip cannot be empty`,
    );
    assert.equal(await stateOf(h, droplet.guid), 'AWAITING_UPLOAD');
    assert.deepEqual(readdirSync(path.join(h.config.dataDir, 'droplets', '.incoming')), []);
    assert.equal((await uploadBits(h, droplet.guid, await goodBundle())).status, 202, 'the droplet can still take its bits');
  });

  test('multipart bodies are accepted by the upload endpoint only', async () => {
    const { app } = await freshApp(h);
    const form = multipart([{ field: 'relationships', content: app.guid }]);
    const res = await h.request('POST', '/v3/droplets', {
      token: h.admin.token,
      payload: form.payload,
      headers: { 'content-type': form.contentType },
    });
    cfError(res, 415, 'CF-UnsupportedMediaType', 10013);
  });

  test('an unknown droplet is 404', async () => {
    cfError(await uploadBits(h, 'no-such-droplet', await goodBundle()), 404, 'CF-ResourceNotFound', 10010, 'Droplet not found');
  });

  test('developers cannot upload in a suspended organization', async () => {
    const { org, space, app } = await freshApp(h);
    const dev = await h.user();
    await h.role('space_developer', dev.guid, { space: space.guid });
    const droplet = await createDroplet(h, app.guid);
    assert.equal((await h.patch(`/v3/organizations/${org.guid}`, { suspended: true })).status, 200);
    cfError(await uploadBits(h, droplet.guid, await goodBundle(), { token: dev.token }), 403, 'CF-OrgSuspended', 10017);
    assert.equal(await stateOf(h, droplet.guid), 'AWAITING_UPLOAD');
  });

  const uploadExpectations: Record<RoleName, number> = {
    admin: 202,
    admin_read_only: 403,
    global_auditor: 403,
    org_manager: 403,
    org_auditor: 404,
    space_developer: 202,
    space_manager: 403,
    space_auditor: 403,
    space_supporter: 403,
    no_role: 404,
  };
  for (const role of ROLES) {
    test(`upload as ${role} answers ${uploadExpectations[role]}`, async () => {
      const m = await matrix();
      const app = await h.app(m.space.guid);
      const droplet = await createDroplet(h, app.guid);
      const res = await uploadBits(h, droplet.guid, await goodBundle(), { token: m.tokens[role] });
      assert.equal(res.status, uploadExpectations[role], res.text);
      if (res.status === 202) assert.equal((await waitForJob(h, String(res.headers.location), m.tokens[role])).state, 'COMPLETE');
      else assert.equal(await stateOf(h, droplet.guid), 'AWAITING_UPLOAD');
    });
  }

  test('a restarted taskd fails the uploads that were being processed when it stopped', async () => {
    const { app } = await freshApp(h);
    const droplet = await createDroplet(h, app.guid);
    // What a stopped taskd leaves behind: the droplet PROCESSING_UPLOAD (for a while) and its job PROCESSING.
    const longAgo = new Date(Date.now() - 3600_000).toISOString();
    await h.db.updateTable('droplets').set({ state: 'PROCESSING_UPLOAD', updated_at: longAgo }).where('guid', '=', droplet.guid).execute();
    const job = await createJob(h.db, 'droplet.upload', 'droplet', droplet.guid);
    // A second taskd on the same store and data directory stands in for the restarted one (without
    // a runner: the first one's runner holds the data directory's task supervisor).
    const pgSchema = (h as unknown as { pgSchema?: string }).pgSchema;
    const restarted = await createTaskd({ ...h.config, runnerSlots: 0 }, { store: { pgSchema, poolSize: 2 } });
    try {
      await restarted.app.ready();
    } finally {
      await restarted.close();
    }
    const after = (await h.get(`/v3/droplets/${droplet.guid}`)).body;
    assert.equal(after.state, 'FAILED');
    assert.equal(
      after.error,
      'Droplet upload was interrupted: taskd stopped while processing it. Create a new droplet and upload its bits again.',
    );
    const polled = (await h.get(`/v3/jobs/${job.guid}`)).body;
    assert.equal(polled.state, 'FAILED');
    assert.deepEqual(polled.errors, [{ code: 10008, title: 'CF-UnprocessableEntity', detail: after.error }]);
  });
});

describeEachStore('droplet upload of hostile bundles', (h) => {
  let outside: string;
  let appGuid: string;

  before(async () => {
    // A directory outside taskd's data directory that a bundle must never reach.
    outside = mkdtempSync(path.join(tmpdir(), 'taskd-outside-'));
    writeFileSync(path.join(outside, 'victim'), 'precious');
    const org = await h.org();
    const space = await h.space(org.guid);
    appGuid = (await h.app(space.guid)).guid;
    // One good upload first, so the data directory's layout is settled before the comparisons.
    const first = await createDroplet(h, appGuid);
    await waitForJob(h, String((await uploadBits(h, first.guid, await goodBundle())).headers.location));
  });
  after(() => rmSync(outside, { recursive: true, force: true }));

  /** Where a relative link inside an extraction would have to point to reach `outside`. */
  const toOutside = () => path.relative(path.join(h.config.dataDir, 'droplets', '.incoming', 'staging'), outside);

  async function expectRejected(entries: TarEntry[] | Buffer, reason: string) {
    const droplet = await createDroplet(h, appGuid);
    const before = treeOf(h.config.dataDir);
    const res = await uploadBits(h, droplet.guid, Buffer.isBuffer(entries) ? entries : await tgzOf(entries));
    assert.equal(res.status, 202, res.text);
    const job = await waitForJob(h, String(res.headers.location));
    const detail = `${INVALID}${reason}`;
    assert.equal(job.state, 'FAILED');
    assert.deepEqual(job.errors, [{ code: 10008, title: 'CF-UnprocessableEntity', detail }]);
    const failed = (await h.get(`/v3/droplets/${droplet.guid}`)).body;
    assert.equal(failed.state, 'FAILED');
    assert.equal(failed.error, detail);
    assert.equal(failed.checksum, null);
    assert.deepEqual(treeOf(h.config.dataDir), before, 'nothing was written anywhere in the data directory');
    assert.deepEqual(readdirSync(outside), ['victim'], 'nothing was written outside it');
    assert.equal(readFileSync(path.join(outside, 'victim'), 'utf8'), 'precious');
    assert.equal(statSync(path.join(outside, 'victim')).nlink, 1, 'no hard link to the victim was made');
  }

  test('path traversal with ..', async () => {
    await expectRejected(
      [
        { name: 'ok.txt', content: 'fine' },
        { name: '../x', content: 'pwned' },
      ],
      "entry '../x' has a '..' path component",
    );
    await expectRejected([{ name: 'a/../../../x', content: 'pwned' }], "entry 'a/../../../x' has a '..' path component");
  });

  test('absolute paths', async () => {
    const target = path.join(outside, 'abs.txt');
    await expectRejected([{ name: target, content: 'pwned' }], `entry '${target}' has an absolute path`);
    await expectRejected([{ name: '/etc/x', content: 'pwned' }], "entry '/etc/x' has an absolute path");
  });

  test('a symlink escaping the bundle, and writing through it', async () => {
    const rel = toOutside();
    await expectRejected(
      [
        { name: 'escape', type: 'symlink', linkname: rel },
        { name: 'escape/pwned.txt', content: 'pwned' },
      ],
      `entry 'escape' is a symlink to '${rel}', which points outside the droplet`,
    );
    await expectRejected(
      [
        { name: 'abs', type: 'symlink', linkname: outside },
        { name: 'abs/pwned.txt', content: 'pwned' },
      ],
      `entry 'abs' is a symlink to '${outside}', which points outside the droplet`,
    );
  });

  test('a symlink inside the bundle, then a write through it', async () => {
    await expectRejected(
      [
        { name: 'sub/', type: 'directory' },
        { name: 'alias', type: 'symlink', linkname: 'sub' },
        { name: 'alias/x.txt', content: 'x' },
      ],
      "entry 'alias/x.txt' goes through the symlink 'alias'",
    );
  });

  test('a symlink that escapes only through a later symlink', async () => {
    await expectRejected(
      [
        { name: 'x/', type: 'directory' },
        { name: 'top', type: 'symlink', linkname: 'x/l1/../..' },
        { name: 'x/l1', type: 'symlink', linkname: '..' },
      ],
      "entry 'top' is a symlink to 'x/l1/../..', which resolves outside the droplet",
    );
  });

  test('hard links outside the bundle or to entries not seen yet', async () => {
    const victim = path.join(outside, 'victim');
    await expectRejected(
      [{ name: 'h', type: 'link', linkname: victim }],
      `entry 'h' is a hard link to '${victim}', which points outside the droplet`,
    );
    await expectRejected(
      [{ name: 'h', type: 'link', linkname: `${toOutside()}/victim` }],
      `entry 'h' is a hard link to '${toOutside()}/victim', which points outside the droplet`,
    );
    await expectRejected(
      [
        { name: 'h', type: 'link', linkname: 'later.txt' },
        { name: 'later.txt', content: 'x' },
      ],
      "entry 'h' is a hard link to 'later.txt', which is not a regular file extracted earlier",
    );
  });

  test('device files and FIFOs', async () => {
    await expectRejected(
      [{ name: 'dev/sda', type: 'block-device' }],
      "entry 'dev/sda' is a block device; device files, FIFOs and sockets are not allowed",
    );
    await expectRejected(
      [{ name: 'null', type: 'character-device' }],
      "entry 'null' is a character device; device files, FIFOs and sockets are not allowed",
    );
    await expectRejected([{ name: 'pipe', type: 'fifo' }], "entry 'pipe' is a FIFO; device files, FIFOs and sockets are not allowed");
  });

  test('data that is not a gzip tarball', async () => {
    await expectRejected(await tarOf([{ name: 'a.txt', content: 'plain tar' }]), 'the bundle is not gzip-compressed');
    await expectRejected(Buffer.from('PK\u0003\u0004 this is a zip, or so it says'), 'the bundle is not gzip-compressed');
    const { gzipSync } = await import('node:zlib');
    await expectRejected(gzipSync(randomBytes(3000)), 'the bundle is not a valid tar archive');
  });
});

describeEachStore(
  'droplet upload limits',
  (h) => {
    let appGuid: string;
    before(async () => {
      const org = await h.org();
      const space = await h.space(org.guid);
      appGuid = (await h.app(space.guid)).guid;
    });

    test('an upload over the bundle limit is 413 and leaves the droplet AWAITING_UPLOAD', async () => {
      const droplet = await createDroplet(h, appGuid);
      const res = await uploadBits(h, droplet.guid, randomBytes(100 * 1024), { filename: 'big.tgz' });
      cfError(
        res,
        413,
        'CF-RequestEntityTooLarge',
        10014,
        'Request entity too large: the droplet file is larger than the maximum of 65536 bytes',
      );
      assert.equal(await stateOf(h, droplet.guid), 'AWAITING_UPLOAD');
      assert.deepEqual(readdirSync(path.join(h.config.dataDir, 'droplets', '.incoming')), [], 'the partial upload was removed');
      const retry = await uploadBits(h, droplet.guid, await goodBundle());
      assert.equal(retry.status, 202);
      assert.equal((await waitForJob(h, String(retry.headers.location))).state, 'COMPLETE');
    });

    test('a gzip bomb stops at the uncompressed cap: the droplet ends FAILED and nothing stays on disk', async () => {
      const bomb = await tgzOf([{ name: 'zeros.bin', content: Buffer.alloc(16 * 1024 * 1024) }]);
      assert.ok(bomb.length < 64 * 1024, `the bomb fits the upload limit (${bomb.length} bytes)`);
      const droplet = await createDroplet(h, appGuid);
      const res = await uploadBits(h, droplet.guid, bomb);
      assert.equal(res.status, 202);
      const job = await waitForJob(h, String(res.headers.location));
      const detail = `${INVALID}the bundle expands to more than 1048576 bytes`;
      assert.deepEqual(job.errors, [{ code: 10008, title: 'CF-UnprocessableEntity', detail }]);
      const failed = (await h.get(`/v3/droplets/${droplet.guid}`)).body;
      assert.equal(failed.state, 'FAILED');
      assert.equal(failed.error, detail);
      assert.equal(existsSync(path.join(h.config.dataDir, 'droplets', droplet.guid)), false);
      assert.deepEqual(readdirSync(path.join(h.config.dataDir, 'droplets', '.incoming')), []);
    });
  },
  // Uploads up to 64 KiB; droplets may expand to 1 MiB (the largest task disk).
  { maxBundleBytes: 64 * 1024, maximumDiskInMb: 1 },
);
