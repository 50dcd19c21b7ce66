// Reads of organization and space quotas, and the quotas that bound what runs in a space.
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notFound } from '../core/errors.js';
import type { ListQuery } from '../core/list-query.js';
import type { Database, QuotaRow } from '../store/schema.js';
import { applyListFilters, fetchPage, type ListTable, type Page } from './list.js';

const table = (filters: ListTable['filters']): ListTable => ({ alias: 'quotas', resourceKind: 'quota', filters });

/**
 * Every organization quota is visible to every user (as in CF); filtering by organization only
 * matches organizations the caller may see.
 */
export function listOrganizationQuotas(db: Kysely<Database>, actor: Permissions, query: ListQuery): Promise<Page<QuotaRow>> {
  let qb = db.selectFrom('quotas').selectAll('quotas').where('quotas.kind', '=', 'organization');
  const orgGuids = query.lists.organization_guids;
  if (orgGuids) {
    const scope = actor.readableOrgs();
    qb = qb.where('quotas.id', 'in', (eb) => {
      let sub = eb.selectFrom('organizations').select('organizations.quota_id').where('organizations.guid', 'in', orgGuids);
      if (!scope.all) sub = sub.where('organizations.id', 'in', scope.organizationIds.length ? scope.organizationIds : [-1]);
      return sub;
    });
  }
  return fetchPage<QuotaRow>(
    applyListFilters(qb, query, table({ guids: { column: 'quotas.guid' }, names: { column: 'quotas.name' } })),
    query,
    'quotas',
  );
}

export async function getOrganizationQuota(db: Kysely<Database>, guid: string): Promise<QuotaRow> {
  const quota = await db.selectFrom('quotas').selectAll().where('guid', '=', guid).where('kind', '=', 'organization').executeTakeFirst();
  if (!quota) throw notFound('Organization quota');
  return quota;
}

/**
 * Space quotas the caller may see: all for global readers; else those of organizations they
 * manage and those applied to spaces where they hold a role.
 */
type QuotaSelect = SelectQueryBuilder<Database, 'quotas', QuotaRow>;

function whereReadableSpaceQuota(qb: QuotaSelect, actor: Permissions): QuotaSelect {
  const scope = actor.readableSpaces();
  if (scope.all) return qb;
  const spaceIds = scope.spaceIds.length ? scope.spaceIds : [-1];
  const orgIds = scope.organizationIds.length ? scope.organizationIds : [-1];
  return qb.where((eb) =>
    eb.or([
      eb('quotas.organization_id', 'in', orgIds),
      eb('quotas.id', 'in', eb.selectFrom('spaces').select('spaces.quota_id').where('spaces.id', 'in', spaceIds)),
    ]),
  );
}

export function listSpaceQuotas(db: Kysely<Database>, actor: Permissions, query: ListQuery): Promise<Page<QuotaRow>> {
  let qb = db.selectFrom('quotas').selectAll('quotas').where('quotas.kind', '=', 'space');
  qb = whereReadableSpaceQuota(qb, actor);
  if (query.lists.organization_guids) {
    qb = qb.where('quotas.organization_id', 'in', (eb) =>
      eb.selectFrom('organizations').select('organizations.id').where('organizations.guid', 'in', query.lists.organization_guids),
    );
  }
  if (query.lists.space_guids) {
    qb = qb.where('quotas.id', 'in', (eb) =>
      eb.selectFrom('spaces').select('spaces.quota_id').where('spaces.guid', 'in', query.lists.space_guids),
    );
  }
  return fetchPage<QuotaRow>(
    applyListFilters(qb, query, table({ guids: { column: 'quotas.guid' }, names: { column: 'quotas.name' } })),
    query,
    'quotas',
  );
}

/** The space quota if the caller may see it; else 404 "Space quota not found". */
export async function getReadableSpaceQuota(db: Kysely<Database>, actor: Permissions, guid: string): Promise<QuotaRow> {
  const quota = await whereReadableSpaceQuota(
    db.selectFrom('quotas').selectAll('quotas').where('quotas.guid', '=', guid).where('quotas.kind', '=', 'space'),
    actor,
  ).executeTakeFirst();
  if (!quota) throw notFound('Space quota');
  return quota;
}

/** Guids of the organizations using each org quota, limited to those the caller may see. */
export async function organizationGuidsByQuota(
  db: Kysely<Database>,
  actor: Permissions | null,
  quotaIds: number[],
): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>(quotaIds.map((id) => [id, []]));
  if (!quotaIds.length) return out;
  let qb = db.selectFrom('organizations').select(['quota_id', 'guid']).where('quota_id', 'in', quotaIds).orderBy('id');
  const scope = actor?.readableOrgs() ?? { all: true as const };
  if (!scope.all) qb = qb.where('id', 'in', scope.organizationIds.length ? scope.organizationIds : [-1]);
  for (const row of await qb.execute()) out.get(row.quota_id!)!.push(row.guid);
  return out;
}

/** Guids of the spaces using each space quota, limited to those the caller may see. */
export async function spaceGuidsByQuota(
  db: Kysely<Database>,
  actor: Permissions | null,
  quotaIds: number[],
): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>(quotaIds.map((id) => [id, []]));
  if (!quotaIds.length) return out;
  let qb = db.selectFrom('spaces').select(['quota_id', 'guid']).where('quota_id', 'in', quotaIds).orderBy('id');
  const scope = actor?.readableSpaces() ?? { all: true as const };
  if (!scope.all) {
    const spaceIds = scope.spaceIds.length ? scope.spaceIds : [-1];
    const orgIds = scope.organizationIds.length ? scope.organizationIds : [-1];
    qb = qb.where((eb) => eb.or([eb('id', 'in', spaceIds), eb('organization_id', 'in', orgIds)]));
  }
  for (const row of await qb.execute()) out.get(row.quota_id!)!.push(row.guid);
  return out;
}

export async function organizationGuidsById(db: Kysely<Database>, ids: number[]): Promise<Map<number, string>> {
  if (!ids.length) return new Map();
  const rows = await db
    .selectFrom('organizations')
    .select(['id', 'guid'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, r.guid]));
}

/** The quotas that bound what runs in a space: its space quota (if any) and its org's quota. */
export interface SpaceQuotas {
  spaceQuota: QuotaRow | null;
  orgQuota: QuotaRow | null;
}

/** In one query: a create reads them on every request. */
export async function quotasForSpace(db: Kysely<Database>, spaceId: number): Promise<SpaceQuotas> {
  const rows = await db
    .selectFrom('spaces')
    .innerJoin('organizations', 'organizations.id', 'spaces.organization_id')
    .innerJoin('quotas', (join) =>
      join.on((eb) => eb.or([eb('quotas.id', '=', eb.ref('spaces.quota_id')), eb('quotas.id', '=', eb.ref('organizations.quota_id'))])),
    )
    .selectAll('quotas')
    .select(['spaces.quota_id as space_quota_id', 'organizations.quota_id as org_quota_id'])
    .where('spaces.id', '=', spaceId)
    .execute();
  const quota = (id: number | null | undefined): QuotaRow | null => {
    const row = rows.find((r) => r.id === id);
    if (!row) return null;
    const { space_quota_id: _space, org_quota_id: _org, ...quota } = row;
    return quota;
  };
  return { spaceQuota: quota(rows[0]?.space_quota_id), orgQuota: quota(rows[0]?.org_quota_id) };
}
