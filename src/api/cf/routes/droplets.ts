// /v3/droplets (create, read, list, label, delete, upload bits), an app's droplets and its
// current droplet.
import type { FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import type { AppContext } from '../../../context.js';
import { typed, type TypedApp } from '../../typed-app.js';
import type { DropletRow } from '../../../store/schema.js';
import { ApiError } from '../../../core/errors.js';
import { parseListQuery, type CfListQuery as ListQuery, type RawQuery } from '../messages/list-query.js';
import { loadMetadata } from '../../../store/metadata.js';
import { getReadableApp } from '../../../fetchers/apps.js';
import { getCurrentDroplet, getReadableDroplet, listAppDroplets, listDroplets, type DropletWithRefs } from '../../../fetchers/droplets.js';
import { assertMayWrite, createDroplet, deleteDroplet, updateDroplet } from '../../../actions/droplets.js';
import {
  acceptUpload,
  assertUploadable,
  failInterruptedUploads,
  INTERRUPTED_AFTER_MS,
  processUpload,
  SWEEP_EVERY_MS,
} from '../../../actions/upload.js';
import { sweepPackages } from '../../../actions/packages.js';
import { uploadWorkOf } from '../upload-work.js';
import { setCurrentDroplet } from '../../../actions/current-droplet.js';
import { assertDropletStorageLeft, dropletStorageExceeded } from '../../../actions/droplet-storage.js';
import type { UploadRoom } from '../../../droplets/org-lanes.js';
import { completedJob } from '../../../actions/jobs.js';
import { UploadOverBudget, type ReceivedUpload } from '../../../droplets/storage.js';
import { BITS_FIELD, checkUploadedFile, isTgzName, missingBits, parseDropletCreate, parseDropletUpdate } from '../messages/droplet.js';
import { parseCurrentDropletUpdate } from '../messages/current-droplet.js';
import { presentCurrentDropletRelationship, presentDroplet, type SecretsView } from '../presenters/droplet.js';
import { presentList } from '../presenters/pagination.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';
import { appDropletListSpec, dropletListSpec } from '../messages/list-specs.js';
import { rateLimitHeaders, rateLimitsOf } from '../../rate-limits.js';

export function dropletRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;
  const work = uploadWorkOf(ctx);
  const { files, uploads, receipts } = work;

  // Uploads whose processing was cut off (a node stopped mid-job) are failed at start-up and then
  // every few minutes, once they are older than any live processing could be; packages likewise.
  let sweeper: NodeJS.Timeout | undefined;
  const sweep = async () => {
    await failInterruptedUploads(uploads, INTERRUPTED_AFTER_MS);
    await sweepPackages(db, files.packages, INTERRUPTED_AFTER_MS);
  };
  app.addHook('onReady', async () => {
    await sweep();
    sweeper = setInterval(() => void sweep().catch((err) => ctx.log.error({ err }, 'sweeping interrupted uploads failed')), SWEEP_EVERY_MS);
    sweeper.unref();
  });
  // Upload jobs run after their request has been answered; closing taskd waits for them.
  app.addHook('onClose', async () => {
    clearInterval(sweeper);
    await work.settled();
  });

  async function present(request: FastifyRequest, droplets: (DropletRow & { app_guid: string })[], secrets: SecretsView) {
    const metadata = await loadMetadata(
      db,
      'droplet',
      droplets.map((d) => d.id),
    );
    const base = baseUrl(ctx, request);
    return droplets.map((d) => presentDroplet(d, d.app_guid, metadata.get(d.id), base, secrets));
  }

  async function presentPage(request: FastifyRequest, path: string, query: ListQuery, page: { total: number; rows: DropletWithRefs[] }) {
    return presentList(`${baseUrl(ctx, request)}${path}`, query, page.total, await present(request, page.rows, 'list'));
  }

  app.post('/v3/droplets', async (request, reply) => {
    const msg = parseDropletCreate(request.body);
    const { droplet, app: owner } = await createDroplet(db, actorOf(request), msg, ctx.config.dropletsAwaitingUploadPerApp);
    return reply.status(201).send((await present(request, [{ ...droplet, app_guid: owner.guid }], 'show'))[0]);
  });

  app.get('/v3/droplets', async (request) => {
    const query = parseListQuery(request.query as RawQuery, dropletListSpec);
    return presentPage(request, '/v3/droplets', query, await listDroplets(db, actorOf(request), query));
  });

  app.get('/v3/droplets/:guid', { schema: { params: GuidParams } }, async (request) => {
    const { guid } = request.params;
    const actor = actorOf(request);
    const { droplet, app: owner, space, org } = await getReadableDroplet(db, actor, guid);
    const secrets = actor.canReadSecrets({ spaceId: space.id, organizationId: org.id }) ? 'show' : 'hide';
    return (await present(request, [{ ...droplet, app_guid: owner.guid }], secrets))[0];
  });

  app.patch('/v3/droplets/:guid', { schema: { params: GuidParams } }, async (request) => {
    const { guid } = request.params;
    const actor = actorOf(request);
    const found = await getReadableDroplet(db, actor, guid);
    // CF checks the writer before the body.
    assertMayWrite(actor, found);
    const droplet = await updateDroplet(db, actor, found, parseDropletUpdate(request.body));
    return (await present(request, [{ ...droplet, app_guid: found.app.guid }], 'show'))[0];
  });

  app.delete('/v3/droplets/:guid', { schema: { params: GuidParams } }, async (request, reply) => {
    const { guid } = request.params;
    const actor = actorOf(request);
    const found = await getReadableDroplet(db, actor, guid);
    await deleteDroplet(db, actor, found, files);
    const job = await completedJob(db, 'droplet.delete', 'droplet', found.droplet.guid);
    return reply
      .status(202)
      .header('location', `${baseUrl(ctx, request)}/v3/jobs/${job.guid}`)
      .send();
  });

  /** Reads the `bits` part to a temporary file, with CF's checks of the file, within the room given. */
  async function receiveBits(request: FastifyRequest, room: UploadRoom): Promise<ReceivedUpload> {
    if (!request.isMultipart()) throw missingBits();
    for await (const part of request.parts()) {
      if (part.type !== 'file') continue;
      if (part.fieldname !== BITS_FIELD) throw missingBits();
      const name = part.filename;
      if (!isTgzName(name)) checkUploadedFile(name, await isEmpty(part.file));
      const received = await files.receive(part.file, room).catch((err) => {
        throw err instanceof UploadOverBudget ? dropletStorageExceeded(uploads.orgDropletMaxBytes, room.used(), room.left()) : err;
      });
      if (part.file.truncated) {
        await files.discard(received.path);
        throw new ApiError('RequestEntityTooLarge', `the droplet file is larger than the maximum of ${ctx.config.maxBundleBytes} bytes`);
      }
      if (received.size === 0) {
        await files.discard(received.path);
        checkUploadedFile(name, true);
      }
      return received;
    }
    throw missingBits();
  }

  // multipart/form-data is accepted by the upload alone (elsewhere it stays a 415): one file of
  // at most the configured bundle size.
  app.register(async (scope) => {
    await scope.register(multipart, {
      limits: { fileSize: ctx.config.maxBundleBytes, files: 1, fields: 16, parts: 17, fieldSize: 64 * 1024 },
    });
    typed(scope).post('/v3/droplets/:guid/upload', { schema: { params: GuidParams } }, async (request, reply) => {
      const { guid } = request.params;
      const actor = actorOf(request);
      const found = await getReadableDroplet(db, actor, guid);
      // Counted once the droplet is found (a typo costs nothing), before anything is received;
      // admins are not limited, as for task creates.
      if (!actor.isAdmin) {
        const allowance = rateLimitsOf(ctx).dropletUploads.take(actor.userGuid);
        if (allowance) reply.headers(rateLimitHeaders(allowance));
      }
      // Checked before the body is read: a refused upload is not received at all. Until the whole
      // file has arrived the droplet stays AWAITING_UPLOAD, so an oversized or broken request
      // leaves it ready for another attempt.
      assertUploadable(actor, found);
      // The file counts against the organization's budget as it arrives, then as the droplet's.
      const used = await assertDropletStorageLeft(db, found.org.id, uploads.orgDropletMaxBytes);
      const room = receipts.open(found.org.id, used, uploads.orgDropletMaxBytes);
      let upload: ReceivedUpload;
      let accepted: Awaited<ReturnType<typeof acceptUpload>>;
      try {
        upload = await receiveBits(request, room);
        try {
          accepted = await acceptUpload(db, actor, found, { size: upload.size, orgDropletMaxBytes: uploads.orgDropletMaxBytes });
        } catch (err) {
          await files.discard(upload.path);
          throw err;
        }
      } finally {
        room.release();
      }
      work.track(processUpload(uploads, { dropletGuid: accepted.droplet.guid, jobGuid: accepted.job.guid, upload: upload.path }));
      const body = (await present(request, [{ ...accepted.droplet, app_guid: found.app.guid }], 'show'))[0];
      return reply
        .status(202)
        .header('location', `${baseUrl(ctx, request)}/v3/jobs/${accepted.job.guid}`)
        .send(body);
    });
  });

  app.get('/v3/apps/:guid/droplets', { schema: { params: GuidParams } }, async (request) => {
    const query = parseListQuery(request.query as RawQuery, appDropletListSpec);
    const { guid } = request.params;
    const { app: owner } = await getReadableApp(db, actorOf(request), guid);
    return presentPage(request, `/v3/apps/${owner.guid}/droplets`, query, await listAppDroplets(db, owner, query));
  });

  app.get('/v3/apps/:guid/droplets/current', { schema: { params: GuidParams } }, async (request) => {
    const { guid } = request.params;
    const actor = actorOf(request);
    const { app: owner, space, org } = await getReadableApp(db, actor, guid);
    const droplet = await getCurrentDroplet(db, owner);
    const secrets = actor.canReadSecrets({ spaceId: space.id, organizationId: org.id }) ? 'show' : 'hide';
    return (await present(request, [{ ...droplet, app_guid: owner.guid }], secrets))[0];
  });

  app.get('/v3/apps/:guid/relationships/current_droplet', { schema: { params: GuidParams } }, async (request) => {
    const { guid } = request.params;
    const { app: owner } = await getReadableApp(db, actorOf(request), guid);
    const droplet = await getCurrentDroplet(db, owner);
    return presentCurrentDropletRelationship(owner.guid, droplet.guid, baseUrl(ctx, request));
  });

  app.patch('/v3/apps/:guid/relationships/current_droplet', { schema: { params: GuidParams } }, async (request) => {
    const msg = parseCurrentDropletUpdate(request.body);
    const { guid } = request.params;
    const actor = actorOf(request);
    const found = await getReadableApp(db, actor, guid);
    const droplet = await setCurrentDroplet(db, actor, found, msg.dropletGuid, ctx.config);
    return presentCurrentDropletRelationship(found.app.guid, droplet.guid, baseUrl(ctx, request));
  });
}

/** Whether a stream ends without data; reads at most its first chunk. */
async function isEmpty(stream: AsyncIterable<Buffer>): Promise<boolean> {
  for await (const chunk of stream) if (chunk.length) return false;
  return true;
}
