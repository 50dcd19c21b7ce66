// /v3/organizations
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import type { Kysely } from 'kysely';
import type { Database, OrganizationRow } from '../../../store/schema.js';
import { parseListQuery, type RawQuery } from '../messages/list-query.js';
import { loadMetadata } from '../../../store/metadata.js';
import { getReadableOrganization, listOrganizations } from '../../../fetchers/organizations.js';
import { createOrganization, deleteOrganization, updateOrganization } from '../../../actions/organizations.js';
import { parseOrganizationCreate, parseOrganizationUpdate } from '../messages/organization.js';
import { presentOrganization } from '../presenters/organization.js';
import { presentList } from '../presenters/pagination.js';
import { actorOf, baseUrl } from '../request.js';
import { completedJob } from '../../../actions/jobs.js';
import { DropletFiles } from '../../../droplets/storage.js';
import { GuidParams } from '../schemas.js';
import { organizationListSpec } from '../messages/list-specs.js';

/** Organizations as CF presents them, with their quotas' guids and metadata (also used for `include`). */
export async function presentOrganizations(db: Kysely<Database>, base: string, orgs: OrganizationRow[]) {
  const metadata = await loadMetadata(
    db,
    'organization',
    orgs.map((o) => o.id),
  );
  const quotaIds = [...new Set(orgs.map((o) => o.quota_id).filter((id): id is number => id !== null))];
  const quotas = quotaIds.length ? await db.selectFrom('quotas').select(['id', 'guid']).where('id', 'in', quotaIds).execute() : [];
  const quotaGuid = new Map(quotas.map((q) => [q.id, q.guid]));
  return orgs.map((o) =>
    presentOrganization(o, o.quota_id === null ? null : (quotaGuid.get(o.quota_id) ?? null), metadata.get(o.id), base),
  );
}

export function organizationRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;
  const present = (request: FastifyRequest, orgs: OrganizationRow[]) => presentOrganizations(db, baseUrl(ctx, request), orgs);

  app.post('/v3/organizations', async (request, reply) => {
    const msg = parseOrganizationCreate(request.body);
    const org = await createOrganization(db, actorOf(request), msg);
    return reply.status(201).send((await present(request, [org]))[0]);
  });

  app.get('/v3/organizations', async (request) => {
    const query = parseListQuery(request.query as RawQuery, organizationListSpec);
    const page = await listOrganizations(db, actorOf(request), query);
    return presentList(`${baseUrl(ctx, request)}/v3/organizations`, query, page.total, await present(request, page.rows));
  });

  app.get('/v3/organizations/:guid', { schema: { params: GuidParams } }, async (request) => {
    const { guid } = request.params;
    const org = await getReadableOrganization(db, actorOf(request), guid);
    return (await present(request, [org]))[0];
  });

  app.patch('/v3/organizations/:guid', { schema: { params: GuidParams } }, async (request) => {
    const msg = parseOrganizationUpdate(request.body);
    const { guid } = request.params;
    const actor = actorOf(request);
    const org = await getReadableOrganization(db, actor, guid);
    return (await present(request, [await updateOrganization(db, actor, org, msg)]))[0];
  });

  app.delete('/v3/organizations/:guid', { schema: { params: GuidParams } }, async (request, reply) => {
    const { guid } = request.params;
    const actor = actorOf(request);
    const org = await getReadableOrganization(db, actor, guid);
    const stopped = await deleteOrganization(db, actor, org, new DropletFiles(ctx.config.dataDir));
    // Their rows are gone; whoever runs them stops them.
    for (const taskGuid of stopped) ctx.signals.cancelRequested(taskGuid);
    const job = await completedJob(db, 'organization.delete', 'organization', org.guid);
    return reply
      .status(202)
      .header('location', `${baseUrl(ctx, request)}/v3/jobs/${job.guid}`)
      .send();
  });
}
