// Quota changes. Organization quotas are for admins; space quotas for admins and the managers of
// the organization that owns them.
import type { Kysely, Transaction } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notAuthorized, unprocessable } from '../core/errors.js';
import { newGuid } from '../core/ids.js';
import { nowIso } from '../core/time.js';
import type { Database, OrganizationRow, QuotaRow } from '../store/schema.js';
import { isUniqueViolation } from '../store/errors.js';
import { assertWritable } from './writable.js';

/** The limits taskd enforces; a key is present when the request named it (null = unlimited). */
export interface QuotaLimits {
  total_memory_in_mb?: number | null;
  per_process_memory_in_mb?: number | null;
  log_rate_limit_in_bytes_per_second?: number | null;
  total_instances?: number | null;
  per_app_tasks?: number | null;
}

/** A quota's new name (when given) and the limits to change. */
export interface QuotaChange {
  name?: string;
  limits: QuotaLimits;
}

/** A new organization quota, and the organizations it applies to at once. */
export interface OrganizationQuotaInput {
  name: string;
  limits: QuotaLimits;
  organizationGuids: string[];
}

/** A new space quota of an organization, and the spaces of it that it applies to at once. */
export interface SpaceQuotaInput {
  name: string;
  limits: QuotaLimits;
  organizationGuid: string;
  spaceGuids: string[];
}

const LIMIT_COLUMNS = [
  'total_memory_in_mb',
  'per_process_memory_in_mb',
  'log_rate_limit_in_bytes_per_second',
  'total_instances',
  'per_app_tasks',
] as const;

/** Column values for the limits a request named (absent keys stay as they are). */
function limitColumns(limits: QuotaLimits): Partial<QuotaRow> {
  const out: Partial<QuotaRow> = {};
  for (const column of LIMIT_COLUMNS) if (column in limits) out[column] = limits[column] ?? null;
  return out;
}

/** Ruby's Array#inspect of guids, as CF prints them in messages. */
const rubyList = (guids: string[]) => `[${guids.map((g) => JSON.stringify(g)).join(', ')}]`;

const UNLIMITED_LOG_RATE_ORGS =
  'Current usage exceeds new quota values. The org(s) being assigned this quota contain apps running with an unlimited log rate limit.';
const UNLIMITED_LOG_RATE_SPACES =
  'Current usage exceeds new quota values. The space(s) being assigned this quota contain apps running with an unlimited log rate limit.';

/** Whether any process of an app in these orgs (or spaces) runs with an unlimited log rate. */
async function hasUnlimitedLogRate(
  db: Kysely<Database> | Transaction<Database>,
  where: { orgIds?: number[]; spaceIds?: number[] },
): Promise<boolean> {
  let qb = db
    .selectFrom('processes')
    .innerJoin('apps', 'apps.id', 'processes.app_id')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .select('processes.id')
    .where('processes.log_rate_limit', '=', -1);
  if (where.orgIds) qb = qb.where('spaces.organization_id', 'in', where.orgIds.length ? where.orgIds : [-1]);
  if (where.spaceIds) qb = qb.where('spaces.id', 'in', where.spaceIds.length ? where.spaceIds : [-1]);
  return (await qb.limit(1).executeTakeFirst()) !== undefined;
}

// Organization quotas

export async function createOrganizationQuota(db: Kysely<Database>, actor: Permissions, input: OrganizationQuotaInput): Promise<QuotaRow> {
  if (!actor.isAdmin) throw notAuthorized();
  const now = nowIso();
  try {
    return await db.transaction().execute(async (trx) => {
      const quota = await trx
        .insertInto('quotas')
        .values({
          guid: newGuid(),
          kind: 'organization',
          name: input.name,
          organization_id: null,
          total_memory_in_mb: null,
          per_process_memory_in_mb: null,
          log_rate_limit_in_bytes_per_second: null,
          total_instances: null,
          per_app_tasks: null,
          ...limitColumns(input.limits),
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      if (input.organizationGuids.length) {
        const orgs = await existingOrgs(trx, input.organizationGuids, ', or you do not have access to them.');
        await trx
          .updateTable('organizations')
          .set({ quota_id: quota.id })
          .where(
            'id',
            'in',
            orgs.map((o) => o.id),
          )
          .execute();
      }
      return quota;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw unprocessable(`Organization Quota '${input.name}' already exists.`);
    throw err;
  }
}

async function existingOrgs(db: Kysely<Database> | Transaction<Database>, guids: string[], suffix: string): Promise<OrganizationRow[]> {
  const unique = [...new Set(guids)];
  const orgs = await db.selectFrom('organizations').selectAll().where('guid', 'in', unique).execute();
  const missing = unique.filter((g) => !orgs.some((o) => o.guid === g));
  if (missing.length) throw unprocessable(`Organizations with guids ${rubyList(missing)} do not exist${suffix}`);
  return orgs;
}

export function assertMayManageOrganizationQuotas(actor: Permissions): void {
  if (!actor.isAdmin) throw notAuthorized();
}

async function updateQuota(db: Kysely<Database>, quota: QuotaRow, change: QuotaChange): Promise<QuotaRow> {
  const changes: Partial<QuotaRow> = { ...limitColumns(change.limits) };
  if (change.name !== undefined) changes.name = change.name;
  try {
    return await db
      .updateTable('quotas')
      .set({ ...changes, updated_at: nowIso() })
      .where('id', '=', quota.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (err) {
    if (isUniqueViolation(err))
      throw unprocessable(`${quota.kind === 'organization' ? 'Organization' : 'Space'} Quota '${change.name}' already exists.`);
    throw err;
  }
}

export async function updateOrganizationQuota(
  db: Kysely<Database>,
  actor: Permissions,
  quota: QuotaRow,
  change: QuotaChange,
): Promise<QuotaRow> {
  assertMayManageOrganizationQuotas(actor);
  return updateQuota(db, quota, change);
}

export async function deleteOrganizationQuota(db: Kysely<Database>, actor: Permissions, quota: QuotaRow): Promise<void> {
  assertMayManageOrganizationQuotas(actor);
  await db.transaction().execute(async (trx) => {
    const inUse = await trx.selectFrom('organizations').select('id').where('quota_id', '=', quota.id).limit(1).executeTakeFirst();
    if (inUse)
      throw unprocessable(
        'This quota is applied to one or more organizations. Apply different quotas to those organizations before deleting.',
      );
    await trx.deleteFrom('quotas').where('id', '=', quota.id).execute();
  });
}

/** Makes the quota the one of each organization (replacing their current one). */
export async function applyOrganizationQuota(db: Kysely<Database>, actor: Permissions, quota: QuotaRow, orgGuids: string[]): Promise<void> {
  assertMayManageOrganizationQuotas(actor);
  await db.transaction().execute(async (trx) => {
    const orgs = await existingOrgs(trx, orgGuids, '');
    if (quota.log_rate_limit_in_bytes_per_second !== null && (await hasUnlimitedLogRate(trx, { orgIds: orgs.map((o) => o.id) }))) {
      throw unprocessable(UNLIMITED_LOG_RATE_ORGS);
    }
    await trx
      .updateTable('organizations')
      .set({ quota_id: quota.id, updated_at: nowIso() })
      .where(
        'id',
        'in',
        orgs.map((o) => o.id),
      )
      .execute();
  });
}

// Space quotas

async function owningOrg(db: Kysely<Database>, quota: QuotaRow): Promise<OrganizationRow> {
  return db.selectFrom('organizations').selectAll().where('id', '=', quota.organization_id!).executeTakeFirstOrThrow();
}

/** Admins and managers of the owning organization, while it is not suspended. */
export async function assertMayManageSpaceQuota(db: Kysely<Database>, actor: Permissions, quota: QuotaRow): Promise<OrganizationRow> {
  const org = await owningOrg(db, quota);
  if (!actor.canWriteOrg(org.id)) throw notAuthorized();
  assertWritable(actor, org);
  return org;
}

export async function createSpaceQuota(db: Kysely<Database>, actor: Permissions, input: SpaceQuotaInput): Promise<QuotaRow> {
  const org = await db.selectFrom('organizations').selectAll().where('guid', '=', input.organizationGuid).executeTakeFirst();
  if (!org) throw unprocessable(`Organization with guid '${input.organizationGuid}' does not exist, or you do not have access to it.`);
  if (!actor.canWriteOrg(org.id)) throw notAuthorized();
  assertWritable(actor, org);
  const now = nowIso();
  try {
    return await db.transaction().execute(async (trx) => {
      const quota = await trx
        .insertInto('quotas')
        .values({
          guid: newGuid(),
          kind: 'space',
          name: input.name,
          organization_id: org.id,
          total_memory_in_mb: null,
          per_process_memory_in_mb: null,
          log_rate_limit_in_bytes_per_second: null,
          total_instances: null,
          per_app_tasks: null,
          ...limitColumns(input.limits),
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      if (input.spaceGuids.length) {
        const unique = [...new Set(input.spaceGuids)];
        const spaces = await trx
          .selectFrom('spaces')
          .select(['id', 'guid'])
          .where('organization_id', '=', org.id)
          .where('guid', 'in', unique)
          .execute();
        const missing = unique.filter((g) => !spaces.some((s) => s.guid === g));
        if (missing.length) {
          throw unprocessable(
            `Spaces with guids ${rubyList(missing)} do not exist within the organization specified, or you do not have access to them.`,
          );
        }
        await trx
          .updateTable('spaces')
          .set({ quota_id: quota.id })
          .where(
            'id',
            'in',
            spaces.map((s) => s.id),
          )
          .execute();
      }
      return quota;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw unprocessable(`Space Quota '${input.name}' already exists.`);
    throw err;
  }
}

export async function updateSpaceQuota(db: Kysely<Database>, actor: Permissions, quota: QuotaRow, change: QuotaChange): Promise<QuotaRow> {
  await assertMayManageSpaceQuota(db, actor, quota);
  return updateQuota(db, quota, change);
}

export async function applySpaceQuota(db: Kysely<Database>, actor: Permissions, quota: QuotaRow, spaceGuids: string[]): Promise<void> {
  await assertMayManageSpaceQuota(db, actor, quota);
  await db.transaction().execute(async (trx) => {
    const unique = [...new Set(spaceGuids)];
    const spaces = await trx.selectFrom('spaces').select(['id', 'guid', 'organization_id']).where('guid', 'in', unique).execute();
    const readable = spaces.filter((s) => actor.canReadSpace({ spaceId: s.id, organizationId: s.organization_id }));
    const invalid = [
      ...unique.filter((g) => !spaces.some((s) => s.guid === g)),
      ...spaces.filter((s) => !readable.includes(s)).map((s) => s.guid),
    ];
    if (invalid.length) throw unprocessable(`Spaces with guids ${rubyList(invalid)} do not exist, or you do not have access to them.`);
    if (spaces.some((s) => s.organization_id !== quota.organization_id))
      throw unprocessable('Space quotas cannot be applied outside of their owning organization.');
    if (quota.log_rate_limit_in_bytes_per_second !== null && (await hasUnlimitedLogRate(trx, { spaceIds: spaces.map((s) => s.id) }))) {
      throw unprocessable(UNLIMITED_LOG_RATE_SPACES);
    }
    await trx
      .updateTable('spaces')
      .set({ quota_id: quota.id, updated_at: nowIso() })
      .where(
        'id',
        'in',
        spaces.map((s) => s.id),
      )
      .execute();
  });
}

export async function removeSpaceQuota(db: Kysely<Database>, actor: Permissions, quota: QuotaRow, spaceGuid: string): Promise<void> {
  await assertMayManageSpaceQuota(db, actor, quota);
  const result = await db
    .updateTable('spaces')
    .set({ quota_id: null, updated_at: nowIso() })
    .where('guid', '=', spaceGuid)
    .where('quota_id', '=', quota.id)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) {
    throw unprocessable(`Unable to remove quota from space with guid '${spaceGuid}'. Ensure the space quota is applied to this space.`);
  }
}

export async function deleteSpaceQuota(db: Kysely<Database>, actor: Permissions, quota: QuotaRow): Promise<void> {
  await assertMayManageSpaceQuota(db, actor, quota);
  await db.transaction().execute(async (trx) => {
    const inUse = await trx.selectFrom('spaces').select('id').where('quota_id', '=', quota.id).limit(1).executeTakeFirst();
    if (inUse) throw unprocessable('This quota is applied to one or more spaces. Remove this quota from all spaces before deleting.');
    await trx.deleteFrom('quotas').where('id', '=', quota.id).execute();
  });
}
