// /v3/spaces
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../../store/schema.js';
import { parseListQuery, type RawQuery } from '../messages/list-query.js';
import { loadMetadata } from '../../../store/metadata.js';
import { getReadableSpace, listSpaces, type SpaceWithOrg } from '../../../fetchers/spaces.js';
import { createSpace, deleteSpace, updateSpace } from '../../../actions/spaces.js';
import { completedJob } from '../../../actions/jobs.js';
import { DropletFiles } from '../../../droplets/storage.js';
import { parseSpaceCreate, parseSpaceUpdate } from '../messages/space.js';
import { presentSpace } from '../presenters/space.js';
import { presentList } from '../presenters/pagination.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';
import { SPACE_INCLUDES, spaceListSpec } from '../messages/list-specs.js';
import { listIncludes, parseShowInclude } from '../messages/include.js';
import { organizationsByIds } from '../../../fetchers/organizations.js';
import { presentOrganizations } from './organizations.js';

/** Spaces as CF presents them, with their quotas' guids and metadata (also used for `include`). */
export async function presentSpaces(db: Kysely<Database>, base: string, spaces: SpaceWithOrg[]) {
  const metadata = await loadMetadata(
    db,
    'space',
    spaces.map((s) => s.id),
  );
  const quotaIds = [...new Set(spaces.map((s) => s.quota_id).filter((id): id is number => id !== null))];
  const quotas = quotaIds.length ? await db.selectFrom('quotas').select(['id', 'guid']).where('id', 'in', quotaIds).execute() : [];
  const quotaGuid = new Map(quotas.map((q) => [q.id, q.guid]));
  return spaces.map((s) =>
    presentSpace(s, s.organization_guid, s.quota_id === null ? null : (quotaGuid.get(s.quota_id) ?? null), metadata.get(s.id), base),
  );
}

export function spaceRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;
  const present = (request: FastifyRequest, spaces: SpaceWithOrg[]) => presentSpaces(db, baseUrl(ctx, request), spaces);

  app.post('/v3/spaces', async (request, reply) => {
    const msg = parseSpaceCreate(request.body);
    const { space, org } = await createSpace(db, actorOf(request), msg);
    return reply.status(201).send((await present(request, [{ ...space, organization_guid: org.guid }]))[0]);
  });

  /** CC's IncludeSpaceOrganizationDecorator: the spaces' organizations, when asked for. */
  async function withIncluded<T extends object>(request: FastifyRequest, body: T, spaces: SpaceWithOrg[], include: string[]) {
    if (!include.length) return body;
    const orgs = await organizationsByIds(
      db,
      spaces.map((s) => s.organization_id),
    );
    return { ...body, included: { organizations: await presentOrganizations(db, baseUrl(ctx, request), orgs) } };
  }

  app.get('/v3/spaces', async (request) => {
    const query = parseListQuery(request.query as RawQuery, spaceListSpec);
    const include = listIncludes(query, SPACE_INCLUDES);
    const page = await listSpaces(db, actorOf(request), query);
    const list = presentList(`${baseUrl(ctx, request)}/v3/spaces`, query, page.total, await present(request, page.rows));
    return withIncluded(request, list, page.rows, include);
  });

  app.get('/v3/spaces/:guid', { schema: { params: GuidParams } }, async (request) => {
    const include = parseShowInclude(request.query as RawQuery, SPACE_INCLUDES);
    const { space, org } = await getReadableSpace(db, actorOf(request), request.params.guid);
    const found = { ...space, organization_guid: org.guid };
    return withIncluded(request, (await present(request, [found]))[0]!, [found], include);
  });

  app.patch('/v3/spaces/:guid', { schema: { params: GuidParams } }, async (request) => {
    const msg = parseSpaceUpdate(request.body);
    const { guid } = request.params;
    const actor = actorOf(request);
    const found = await getReadableSpace(db, actor, guid);
    const space = await updateSpace(db, actor, found, msg);
    return (await present(request, [{ ...space, organization_guid: found.org.guid }]))[0];
  });

  app.delete('/v3/spaces/:guid', { schema: { params: GuidParams } }, async (request, reply) => {
    const { guid } = request.params;
    const actor = actorOf(request);
    const found = await getReadableSpace(db, actor, guid);
    const stopped = await deleteSpace(db, actor, found, new DropletFiles(ctx.config.dataDir));
    // Their rows are gone; whoever runs them stops them.
    for (const taskGuid of stopped) ctx.signals.cancelRequested(taskGuid);
    const job = await completedJob(db, 'space.delete', 'space', found.space.guid);
    return reply
      .status(202)
      .header('location', `${baseUrl(ctx, request)}/v3/jobs/${job.guid}`)
      .send();
  });
}
