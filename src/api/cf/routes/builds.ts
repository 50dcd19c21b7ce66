// /v3/builds (create, read, list) and an app's builds. Creating a build stages the package into
// a new droplet in the background, as a droplet upload (actions/builds.ts).
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import type { BuildRow } from '../../../store/schema.js';
import { loadMetadata } from '../../../store/metadata.js';
import { parseListQuery, type CfListQuery as ListQuery, type RawQuery } from '../messages/list-query.js';
import { getReadableApp } from '../../../fetchers/apps.js';
import { getReadableBuild, listAppBuilds, listBuilds, type BuildWithRefs } from '../../../fetchers/builds.js';
import { createBuild } from '../../../actions/builds.js';
import { processUpload } from '../../../actions/upload.js';
import { parseBuildCreate } from '../messages/build.js';
import { presentBuild } from '../presenters/build.js';
import { presentList } from '../presenters/pagination.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';
import { appBuildListSpec, buildListSpec } from '../messages/list-specs.js';
import { uploadWorkOf } from '../upload-work.js';
import { rateLimitHeaders, rateLimitsOf } from '../../rate-limits.js';

export function buildRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;
  const work = uploadWorkOf(ctx);

  async function present(request: FastifyRequest, builds: (BuildRow & { app_guid: string })[]) {
    const metadata = await loadMetadata(
      db,
      'build',
      builds.map((b) => b.id),
    );
    const base = baseUrl(ctx, request);
    return builds.map((b) => presentBuild(b, b.app_guid, metadata.get(b.id), base));
  }

  async function presentPage(request: FastifyRequest, path: string, query: ListQuery, page: { total: number; rows: BuildWithRefs[] }) {
    return presentList(`${baseUrl(ctx, request)}${path}`, query, page.total, await present(request, page.rows));
  }

  app.post('/v3/builds', async (request, reply) => {
    const msg = parseBuildCreate(request.body);
    const actor = actorOf(request);
    // A build is a droplet upload from the package: counted with them (admins are not limited).
    if (!actor.isAdmin) {
      const allowance = rateLimitsOf(ctx).dropletUploads.take(actor.userGuid);
      if (allowance) reply.headers(rateLimitHeaders(allowance));
    }
    const { build, found, staging } = await createBuild(
      db,
      actor,
      msg,
      {
        stagingMemoryInMb: ctx.config.defaultMemoryInMb,
        stagingDiskInMb: ctx.config.defaultDiskInMb,
        orgDropletMaxBytes: work.uploads.orgDropletMaxBytes,
        keepBundle: work.uploads.keepBundle,
      },
      work.files,
    );
    if (staging)
      work.track(processUpload(work.uploads, { dropletGuid: staging.droplet.guid, jobGuid: staging.job.guid, upload: staging.upload }));
    return reply.status(201).send((await present(request, [{ ...build, app_guid: found.app.guid }]))[0]);
  });

  app.get('/v3/builds', async (request) => {
    const query = parseListQuery(request.query as RawQuery, buildListSpec);
    return presentPage(request, '/v3/builds', query, await listBuilds(db, actorOf(request), query));
  });

  app.get('/v3/builds/:guid', { schema: { params: GuidParams } }, async (request) => {
    const found = await getReadableBuild(db, actorOf(request), request.params.guid);
    return (await present(request, [{ ...found.build, app_guid: found.app.guid }]))[0];
  });

  app.get('/v3/apps/:guid/builds', { schema: { params: GuidParams } }, async (request) => {
    const query = parseListQuery(request.query as RawQuery, appBuildListSpec);
    const { app: owner } = await getReadableApp(db, actorOf(request), request.params.guid);
    return presentPage(request, `/v3/apps/${owner.guid}/builds`, query, await listAppBuilds(db, owner, query));
  });
}
