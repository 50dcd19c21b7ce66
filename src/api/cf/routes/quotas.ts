// /v3/organization_quotas and /v3/space_quotas
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import type { Permissions } from '../../../auth/permissions.js';
import type { QuotaRow } from '../../../store/schema.js';
import { parseListQuery, type RawQuery } from '../messages/list-query.js';
import {
  getOrganizationQuota,
  getReadableSpaceQuota,
  listOrganizationQuotas,
  listSpaceQuotas,
  organizationGuidsById,
  organizationGuidsByQuota,
  spaceGuidsByQuota,
} from '../../../fetchers/quotas.js';
import {
  applyOrganizationQuota,
  applySpaceQuota,
  assertMayManageOrganizationQuotas,
  assertMayManageSpaceQuota,
  createOrganizationQuota,
  createSpaceQuota,
  deleteOrganizationQuota,
  deleteSpaceQuota,
  removeSpaceQuota,
  updateOrganizationQuota,
  updateSpaceQuota,
} from '../../../actions/quotas.js';
import { completedJob } from '../../../actions/jobs.js';
import {
  parseOrganizationQuotaCreate,
  parseOrganizationQuotaUpdate,
  parseQuotaApply,
  parseSpaceQuotaCreate,
  parseSpaceQuotaUpdate,
} from '../messages/quota.js';
import { presentOrganizationQuota, presentQuotaRelationship, presentSpaceQuota } from '../presenters/quota.js';
import { presentList } from '../presenters/pagination.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';
import { organizationQuotaListSpec, spaceQuotaListSpec } from '../messages/list-specs.js';

const SpaceRelationshipParams = Type.Object({ guid: Type.String(), space_guid: Type.String() });

export function quotaRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;

  async function presentOrgQuotas(request: FastifyRequest, actor: Permissions, quotas: QuotaRow[]) {
    const orgs = await organizationGuidsByQuota(
      db,
      actor,
      quotas.map((q) => q.id),
    );
    const base = baseUrl(ctx, request);
    return quotas.map((q) => presentOrganizationQuota(q, orgs.get(q.id) ?? [], base));
  }

  async function presentSpaceQuotas(request: FastifyRequest, actor: Permissions, quotas: QuotaRow[]) {
    const spaces = await spaceGuidsByQuota(
      db,
      actor,
      quotas.map((q) => q.id),
    );
    const orgGuids = await organizationGuidsById(
      db,
      quotas.map((q) => q.organization_id!),
    );
    const base = baseUrl(ctx, request);
    return quotas.map((q) => presentSpaceQuota(q, orgGuids.get(q.organization_id!)!, spaces.get(q.id) ?? [], base));
  }

  const jobLocation = (request: FastifyRequest, guid: string) => `${baseUrl(ctx, request)}/v3/jobs/${guid}`;

  // Organization quotas. CF checks the caller before the body, and the body before the lookup, so
  // the routes check the caller first; each action checks again for callers other than these.

  app.post('/v3/organization_quotas', async (request, reply) => {
    const actor = actorOf(request);
    assertMayManageOrganizationQuotas(actor);
    const quota = await createOrganizationQuota(db, actor, parseOrganizationQuotaCreate(request.body));
    return reply.status(201).send((await presentOrgQuotas(request, actor, [quota]))[0]);
  });

  app.get('/v3/organization_quotas', async (request) => {
    const actor = actorOf(request);
    const query = parseListQuery(request.query as RawQuery, organizationQuotaListSpec);
    const page = await listOrganizationQuotas(db, actor, query);
    return presentList(
      `${baseUrl(ctx, request)}/v3/organization_quotas`,
      query,
      page.total,
      await presentOrgQuotas(request, actor, page.rows),
    );
  });

  app.get('/v3/organization_quotas/:guid', { schema: { params: GuidParams } }, async (request) => {
    const { guid } = request.params;
    const actor = actorOf(request);
    return (await presentOrgQuotas(request, actor, [await getOrganizationQuota(db, guid)]))[0];
  });

  app.patch('/v3/organization_quotas/:guid', { schema: { params: GuidParams } }, async (request) => {
    const { guid } = request.params;
    const actor = actorOf(request);
    assertMayManageOrganizationQuotas(actor);
    const msg = parseOrganizationQuotaUpdate(request.body);
    const quota = await updateOrganizationQuota(db, actor, await getOrganizationQuota(db, guid), msg);
    return (await presentOrgQuotas(request, actor, [quota]))[0];
  });

  app.delete('/v3/organization_quotas/:guid', { schema: { params: GuidParams } }, async (request, reply) => {
    const { guid } = request.params;
    const actor = actorOf(request);
    assertMayManageOrganizationQuotas(actor);
    const quota = await getOrganizationQuota(db, guid);
    await deleteOrganizationQuota(db, actor, quota);
    const job = await completedJob(db, 'organization_quota.delete', 'organization_quota', quota.guid);
    return reply.status(202).header('location', jobLocation(request, job.guid)).send();
  });

  app.post('/v3/organization_quotas/:guid/relationships/organizations', { schema: { params: GuidParams } }, async (request) => {
    const { guid } = request.params;
    const actor = actorOf(request);
    assertMayManageOrganizationQuotas(actor);
    const orgGuids = parseQuotaApply(request.body, 'BadQueryParameter');
    const quota = await getOrganizationQuota(db, guid);
    await applyOrganizationQuota(db, actor, quota, orgGuids);
    const orgs = await organizationGuidsByQuota(db, null, [quota.id]);
    return presentQuotaRelationship('organization_quotas', quota.guid, 'organizations', orgs.get(quota.id) ?? [], baseUrl(ctx, request));
  });

  // Space quotas. CF looks the quota up (as the caller may see it) first, then checks the caller,
  // then the body: where there is a body the route checks the caller before the action does.

  app.post('/v3/space_quotas', async (request, reply) => {
    const actor = actorOf(request);
    const quota = await createSpaceQuota(db, actor, parseSpaceQuotaCreate(request.body));
    return reply.status(201).send((await presentSpaceQuotas(request, actor, [quota]))[0]);
  });

  app.get('/v3/space_quotas', async (request) => {
    const actor = actorOf(request);
    const query = parseListQuery(request.query as RawQuery, spaceQuotaListSpec);
    const page = await listSpaceQuotas(db, actor, query);
    return presentList(`${baseUrl(ctx, request)}/v3/space_quotas`, query, page.total, await presentSpaceQuotas(request, actor, page.rows));
  });

  app.get('/v3/space_quotas/:guid', { schema: { params: GuidParams } }, async (request) => {
    const { guid } = request.params;
    const actor = actorOf(request);
    return (await presentSpaceQuotas(request, actor, [await getReadableSpaceQuota(db, actor, guid)]))[0];
  });

  app.patch('/v3/space_quotas/:guid', { schema: { params: GuidParams } }, async (request) => {
    const { guid } = request.params;
    const actor = actorOf(request);
    const quota = await getReadableSpaceQuota(db, actor, guid);
    await assertMayManageSpaceQuota(db, actor, quota);
    const updated = await updateSpaceQuota(db, actor, quota, parseSpaceQuotaUpdate(request.body));
    return (await presentSpaceQuotas(request, actor, [updated]))[0];
  });

  app.delete('/v3/space_quotas/:guid', { schema: { params: GuidParams } }, async (request, reply) => {
    const { guid } = request.params;
    const actor = actorOf(request);
    const quota = await getReadableSpaceQuota(db, actor, guid);
    await deleteSpaceQuota(db, actor, quota);
    const job = await completedJob(db, 'space_quota.delete', 'space_quota', quota.guid);
    return reply.status(202).header('location', jobLocation(request, job.guid)).send();
  });

  app.post('/v3/space_quotas/:guid/relationships/spaces', { schema: { params: GuidParams } }, async (request) => {
    const { guid } = request.params;
    const actor = actorOf(request);
    const quota = await getReadableSpaceQuota(db, actor, guid);
    await assertMayManageSpaceQuota(db, actor, quota);
    const spaceGuids = parseQuotaApply(request.body, 'UnprocessableEntity');
    await applySpaceQuota(db, actor, quota, spaceGuids);
    const spaces = await spaceGuidsByQuota(db, null, [quota.id]);
    return presentQuotaRelationship('space_quotas', quota.guid, 'spaces', spaces.get(quota.id) ?? [], baseUrl(ctx, request));
  });

  app.delete(
    '/v3/space_quotas/:guid/relationships/spaces/:space_guid',
    { schema: { params: SpaceRelationshipParams } },
    async (request, reply) => {
      const { guid, space_guid: spaceGuid } = request.params;
      const actor = actorOf(request);
      const quota = await getReadableSpaceQuota(db, actor, guid);
      await removeSpaceQuota(db, actor, quota, spaceGuid);
      return reply.status(204).send();
    },
  );
}
