// The disk an organization's droplets may take (TASKD_ORG_DROPLET_MAX_MB, here 1 MB): counted
// expanded, so a tiny upload that expands past the budget is refused like a large one, and a
// refusal keeps nothing of the upload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { createDroplet, uploadBits, waitForJob } from '../droplets/helpers.js';
import { tgzOf } from '../droplets/tarballs.js';

const KB = 1024;
const LIMIT = "Droplet storage limit exceeded: an organization's droplets may take at most 1 MB on disk (expanded); ";

async function freshApp(h: Harness, orgGuid?: string) {
  const org = orgGuid ?? (await h.org()).guid;
  const space = await h.space(org);
  return { orgGuid: org, app: await h.app(space.guid) };
}

/** A bundle holding `bytes` of zeros: a few KB compressed, `bytes` expanded. */
const zeros = (bytes: number) => tgzOf([{ name: 'app/blob', content: Buffer.alloc(bytes) }]);

async function storedBytesOf(h: Harness, guid: string): Promise<number> {
  const row = await h.db.selectFrom('droplets').select('stored_bytes').where('guid', '=', guid).executeTakeFirstOrThrow();
  return Number(row.stored_bytes);
}

async function assertNothingKept(h: Harness, guid: string): Promise<void> {
  assert.equal(existsSync(path.join(h.config.dataDir, 'droplets', guid)), false, 'no droplet directory');
  assert.deepEqual(readdirSync(path.join(h.config.dataDir, 'droplets', '.incoming')), [], 'no upload or staging leftovers');
  const bundles = await h.db
    .selectFrom('droplet_bundles')
    .innerJoin('droplets', 'droplets.id', 'droplet_bundles.droplet_id')
    .select('part')
    .where('droplets.guid', '=', guid)
    .execute();
  assert.equal(bundles.length, 0, 'no stored bundle');
  assert.equal(await storedBytesOf(h, guid), 0, 'it takes none of the budget');
}

async function upload(h: Harness, appGuid: string, bits: Buffer) {
  const droplet = await createDroplet(h, appGuid);
  const res = await uploadBits(h, droplet.guid, bits);
  return { droplet, res };
}

describeEachStore(
  "an organization's droplet storage",
  (h) => {
    test('a small upload that expands past the budget fails with the limit named, and nothing is kept', async () => {
      const { app } = await freshApp(h);
      const bits = await zeros(2048 * KB);
      assert.ok(bits.length < 20 * KB, `a ${bits.length}-byte upload`);
      const { droplet, res } = await upload(h, app.guid, bits);
      assert.equal(res.status, 202, res.text);
      const job = await waitForJob(h, String(res.headers.location));
      assert.equal(job.state, 'FAILED');
      assert.equal(job.errors.length, 1);
      assert.equal(job.errors[0].code, 10008);
      assert.equal(job.errors[0].title, 'CF-UnprocessableEntity');
      assert.ok(
        job.errors[0].detail.startsWith(`${LIMIT}its droplets take 0 MB and this droplet needs more than 1 MB.`),
        job.errors[0].detail,
      );
      const failed = (await h.get(`/v3/droplets/${droplet.guid}`)).body;
      assert.equal(failed.state, 'FAILED');
      assert.equal(failed.error, job.errors[0].detail);
      await assertNothingKept(h, droplet.guid);
    });

    test('many tiny files count by the blocks they take on disk, not by their bytes in the archive', async () => {
      const { app } = await freshApp(h);
      // 300 one-byte files: about 300 KB of archive, at least 1.2 MB of 4 KiB blocks.
      const bits = await tgzOf(Array.from({ length: 300 }, (_, i) => ({ name: `app/f${i}`, content: 'x' })));
      const { droplet, res } = await upload(h, app.guid, bits);
      assert.equal(res.status, 202, res.text);
      const job = await waitForJob(h, String(res.headers.location));
      assert.equal(job.state, 'FAILED');
      assert.ok(job.errors[0].detail.startsWith(LIMIT), job.errors[0].detail);
      await assertNothingKept(h, droplet.guid);
    });

    test('droplets count expanded: a second one that would not fit fails, another org is not affected, a deletion makes room', async () => {
      const { orgGuid, app } = await freshApp(h);
      const first = await upload(h, app.guid, await zeros(600 * KB));
      assert.equal((await waitForJob(h, String(first.res.headers.location))).state, 'COMPLETE');
      assert.ok((await storedBytesOf(h, first.droplet.guid)) >= 600 * KB, 'the first counts as its expanded size');

      const { app: sibling } = await freshApp(h, orgGuid);
      const second = await upload(h, sibling.guid, await zeros(600 * KB));
      const job = await waitForJob(h, String(second.res.headers.location));
      assert.equal(job.state, 'FAILED');
      assert.match(
        job.errors[0].detail,
        /^Droplet storage limit exceeded: .*; its droplets take 0\.6 MB and this droplet needs more than 0\.4 MB\./,
      );
      await assertNothingKept(h, second.droplet.guid);

      const { app: elsewhere } = await freshApp(h);
      const other = await upload(h, elsewhere.guid, await zeros(600 * KB));
      assert.equal((await waitForJob(h, String(other.res.headers.location))).state, 'COMPLETE', 'another org has its own budget');

      assert.equal((await h.delete(`/v3/droplets/${first.droplet.guid}`)).status, 202);
      const third = await upload(h, sibling.guid, await zeros(600 * KB));
      assert.equal((await waitForJob(h, String(third.res.headers.location))).state, 'COMPLETE', 'the deleted droplet made room');
    });

    test('an upload larger than what is left is refused at once (422); the droplet still awaits its bits', async () => {
      const { orgGuid, app } = await freshApp(h);
      const first = await upload(h, app.guid, await zeros(600 * KB));
      assert.equal((await waitForJob(h, String(first.res.headers.location))).state, 'COMPLETE');
      // Random bytes do not compress: the upload itself is larger than the 0.4 MB left.
      const { app: sibling } = await freshApp(h, orgGuid);
      const { droplet, res } = await upload(h, sibling.guid, await tgzOf([{ name: 'app/noise', content: randomBytes(500 * KB) }]));
      assert.equal(res.status, 422, res.text);
      assert.match(
        res.body.errors[0].detail,
        /^Droplet storage limit exceeded: .*; its droplets take 0\.6 MB and this droplet needs more than 0\.4 MB\./,
      );
      cfError(res, 422, 'CF-UnprocessableEntity', 10008);
      assert.equal((await h.get(`/v3/droplets/${droplet.guid}`)).body.state, 'AWAITING_UPLOAD');
      await assertNothingKept(h, droplet.guid);
    });

    test('uploads of one organization at the same time are all accepted and staged when they fit together', async () => {
      const { orgGuid, app } = await freshApp(h);
      const { app: sibling } = await freshApp(h, orgGuid);
      const bits = await zeros(150 * KB);
      const uploads = await Promise.all([app, sibling, app, sibling, app].map((a) => upload(h, a.guid, bits)));
      for (const { res } of uploads) assert.equal(res.status, 202, res.text);
      const jobs = await Promise.all(uploads.map(({ res }) => waitForJob(h, String(res.headers.location))));
      assert.deepEqual(
        jobs.map((j) => j.state),
        ['COMPLETE', 'COMPLETE', 'COMPLETE', 'COMPLETE', 'COMPLETE'],
      );
    });

    test('an organization whose droplets take the whole budget is refused before its upload is read', async () => {
      const { orgGuid, app } = await freshApp(h);
      const first = await upload(h, app.guid, await zeros(100 * KB));
      assert.equal((await waitForJob(h, String(first.res.headers.location))).state, 'COMPLETE');
      // As after an operator lowered the limit below what the organization already keeps.
      await h.db
        .updateTable('droplets')
        .set({ stored_bytes: 2048 * KB })
        .where('guid', '=', first.droplet.guid)
        .execute();
      const { app: sibling } = await freshApp(h, orgGuid);
      const { droplet, res } = await upload(h, sibling.guid, await zeros(KB));
      cfError(res, 422, 'CF-UnprocessableEntity', 10008, `${LIMIT}its droplets take 2 MB. Delete droplets it no longer needs.`);
      assert.equal((await h.get(`/v3/droplets/${droplet.guid}`)).body.state, 'AWAITING_UPLOAD');
    });
  },
  { orgDropletMaxMb: 1, runnerSlots: 0 },
);
