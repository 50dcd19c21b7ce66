// /v3/packages (create, read, list, delete, upload bits), an app's packages, and resource
// matching (`POST /v3/resource_matches`), which `cf push` asks before it zips an app's files.
import type { FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import type { AppContext } from '../../../context.js';
import { typed, type TypedApp } from '../../typed-app.js';
import { ApiError } from '../../../core/errors.js';
import type { PackageRow } from '../../../store/schema.js';
import { loadMetadata } from '../../../store/metadata.js';
import { parseListQuery, type CfListQuery as ListQuery, type RawQuery } from '../messages/list-query.js';
import { getReadableApp } from '../../../fetchers/apps.js';
import { getReadablePackage, listAppPackages, listPackages, type PackageWithRefs } from '../../../fetchers/packages.js';
import {
  acceptPackageUpload,
  assertPackageUploadable,
  createPackage,
  deletePackage,
  processPackageUpload,
} from '../../../actions/packages.js';
import { assertDropletStorageLeft, dropletStorageExceeded } from '../../../actions/droplet-storage.js';
import { completedJob } from '../../../actions/jobs.js';
import { UploadOverBudget, type ReceivedUpload } from '../../../droplets/storage.js';
import type { UploadRoom } from '../../../droplets/org-lanes.js';
import { checkResources, missingPackageBits, PACKAGE_BITS_FIELD, parsePackageCreate, RESOURCES_FIELD } from '../messages/package.js';
import { presentPackage } from '../presenters/package.js';
import { presentList } from '../presenters/pagination.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';
import { appPackageListSpec, packageListSpec } from '../messages/list-specs.js';
import { rateLimitHeaders, rateLimitsOf } from '../../rate-limits.js';
import { uploadWorkOf } from '../upload-work.js';

export function packageRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;
  const work = uploadWorkOf(ctx);
  const { files, receipts } = work;

  async function present(request: FastifyRequest, packages: (PackageRow & { app_guid: string })[]) {
    const metadata = await loadMetadata(
      db,
      'package',
      packages.map((p) => p.id),
    );
    const base = baseUrl(ctx, request);
    return packages.map((p) => presentPackage(p, p.app_guid, metadata.get(p.id), base));
  }

  async function presentPage(request: FastifyRequest, path: string, query: ListQuery, page: { total: number; rows: PackageWithRefs[] }) {
    return presentList(`${baseUrl(ctx, request)}${path}`, query, page.total, await present(request, page.rows));
  }

  app.post('/v3/packages', async (request, reply) => {
    const msg = parsePackageCreate(request.body);
    const { pkg, app: owner } = await createPackage(db, actorOf(request), msg, ctx.config.dropletsAwaitingUploadPerApp);
    return reply.status(201).send((await present(request, [{ ...pkg, app_guid: owner.guid }]))[0]);
  });

  app.get('/v3/packages', async (request) => {
    const query = parseListQuery(request.query as RawQuery, packageListSpec);
    return presentPage(request, '/v3/packages', query, await listPackages(db, actorOf(request), query));
  });

  app.get('/v3/packages/:guid', { schema: { params: GuidParams } }, async (request) => {
    const found = await getReadablePackage(db, actorOf(request), request.params.guid);
    return (await present(request, [{ ...found.pkg, app_guid: found.app.guid }]))[0];
  });

  app.delete('/v3/packages/:guid', { schema: { params: GuidParams } }, async (request, reply) => {
    const found = await getReadablePackage(db, actorOf(request), request.params.guid);
    await deletePackage(db, actorOf(request), found, files.packages);
    const job = await completedJob(db, 'package.delete', 'package', found.pkg.guid);
    return reply
      .status(202)
      .header('location', `${baseUrl(ctx, request)}/v3/jobs/${job.guid}`)
      .send();
  });

  app.get('/v3/apps/:guid/packages', { schema: { params: GuidParams } }, async (request) => {
    const query = parseListQuery(request.query as RawQuery, appPackageListSpec);
    const { app: owner } = await getReadableApp(db, actorOf(request), request.params.guid);
    return presentPage(request, `/v3/apps/${owner.guid}/packages`, query, await listAppPackages(db, owner, query));
  });

  // taskd keeps no cache of files already uploaded: nothing ever matches, and the client uploads
  // every file. The body is still read as CC's message, so a malformed one is told so.
  app.post('/v3/resource_matches', async (request) => {
    const body = request.body as { resources?: unknown } | null;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !Array.isArray(body.resources))
      throw new ApiError('UnprocessableEntity', 'Resources must be an array');
    return { resources: [] };
  });

  /** Reads the upload's fields: `resources` (checked) and the `bits` file, within the room given. */
  async function receiveBits(request: FastifyRequest, room: UploadRoom): Promise<ReceivedUpload> {
    if (!request.isMultipart()) throw missingPackageBits();
    let resources: string | undefined;
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (part.fieldname === RESOURCES_FIELD) resources = String(part.value);
        continue;
      }
      checkResources(resources);
      if (part.fieldname !== PACKAGE_BITS_FIELD) throw missingPackageBits();
      const received = await files.receive(part.file, room).catch((err) => {
        throw err instanceof UploadOverBudget ? dropletStorageExceeded(work.packages.orgDropletMaxBytes, room.used(), room.left()) : err;
      });
      if (part.file.truncated) {
        await files.discard(received.path);
        throw new ApiError('RequestEntityTooLarge', `the package file is larger than the maximum of ${ctx.config.maxBundleBytes} bytes`);
      }
      return received;
    }
    checkResources(resources);
    throw missingPackageBits();
  }

  // multipart/form-data is accepted by the upload alone: the resources field and one file.
  app.register(async (scope) => {
    await scope.register(multipart, {
      limits: { fileSize: ctx.config.maxBundleBytes, files: 1, fields: 16, parts: 17, fieldSize: 64 * 1024 },
    });
    typed(scope).post('/v3/packages/:guid/upload', { schema: { params: GuidParams } }, async (request, reply) => {
      const actor = actorOf(request);
      const found = await getReadablePackage(db, actor, request.params.guid);
      // Counted as droplet uploads are: once the package is found, before anything is received.
      if (!actor.isAdmin) {
        const allowance = rateLimitsOf(ctx).dropletUploads.take(actor.userGuid);
        if (allowance) reply.headers(rateLimitHeaders(allowance));
      }
      assertPackageUploadable(actor, found);
      const used = await assertDropletStorageLeft(db, found.org.id, work.packages.orgDropletMaxBytes);
      const room = receipts.open(found.org.id, used, work.packages.orgDropletMaxBytes);
      let upload: ReceivedUpload;
      let pkg: PackageRow;
      try {
        upload = await receiveBits(request, room);
        try {
          pkg = await acceptPackageUpload(db, actor, found, { size: upload.size, orgDropletMaxBytes: work.packages.orgDropletMaxBytes });
        } catch (err) {
          await files.discard(upload.path);
          throw err;
        }
      } finally {
        room.release();
      }
      work.track(processPackageUpload(work.packages, { packageGuid: pkg.guid, upload: upload.path }));
      return (await present(request, [{ ...pkg, app_guid: found.app.guid }]))[0];
    });
  });
}
