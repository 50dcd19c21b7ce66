// The disk an organization's droplets may take (TASKD_ORG_DROPLET_MAX_MB), kept per droplet in
// `droplets.stored_bytes`; its packages (the sources `cf push` uploads) count too, in
// `packages.stored_bytes`. A droplet counts with its expanded tree (what a small gzip bomb really
// costs) plus its bundle when the database keeps one; an accepted upload counts with its received
// file until it is expanded. Reservations take the organization's row lock first, so two uploads
// accepted at once cannot both take the last room.
import { sql, type Kysely, type Transaction } from 'kysely';
import { unprocessable, type ApiError } from '../core/errors.js';
import type { Database } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export const MB = 1024 * 1024;

/** Where a droplet's bytes are counted: its organization. */
export interface DropletOwner {
  dropletId: number;
  organizationId: number;
  appId?: number;
}

const inMb = (bytes: number) => `${Math.round((bytes / MB) * 10) / 10}`;

/**
 * The refusal, in CF's 422: it names the limit, what the organization's droplets already take and,
 * once known, what this droplet needs.
 */
export function dropletStorageExceeded(limitBytes: number, usedBytes: number, neededBytes?: number): ApiError {
  const needs = neededBytes === undefined ? '' : ` and this droplet needs more than ${inMb(neededBytes)} MB`;
  return unprocessable(
    `Droplet storage limit exceeded: an organization's droplets may take at most ${inMb(limitBytes)} MB on disk (expanded); ` +
      `its droplets take ${inMb(usedBytes)} MB${needs}. Delete droplets it no longer needs.`,
  );
}

/** The organization a droplet's bytes count against. */
export async function ownerOf(db: Db, dropletGuid: string): Promise<DropletOwner | undefined> {
  const row = await db
    .selectFrom('droplets')
    .innerJoin('apps', 'apps.id', 'droplets.app_id')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .select(['droplets.id as dropletId', 'spaces.organization_id as organizationId', 'apps.id as appId'])
    .where('droplets.guid', '=', dropletGuid)
    .executeTakeFirst();
  return row;
}

/** Takes the organization's row lock (PostgreSQL) or the write lock (SQLite) without changing it. */
async function lockOrganization(trx: Transaction<Database>, organizationId: number): Promise<void> {
  await trx
    .updateTable('organizations')
    .set({ updated_at: sql<string>`updated_at` })
    .where('id', '=', organizationId)
    .execute();
}

/** Bytes the organization's droplets and packages take or have reserved, one droplet left out. */
export async function dropletBytesOfOrganization(db: Db, organizationId: number, except?: number): Promise<number> {
  const droplets = await db
    .selectFrom('droplets')
    .innerJoin('apps', 'apps.id', 'droplets.app_id')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number | string>('droplets.stored_bytes'), sql<number>`0`).as('bytes'))
    .where('spaces.organization_id', '=', organizationId)
    .$if(except !== undefined, (qb) => qb.where('droplets.id', '!=', except!))
    .executeTakeFirstOrThrow();
  const packages = await db
    .selectFrom('packages')
    .innerJoin('apps', 'apps.id', 'packages.app_id')
    .innerJoin('spaces', 'spaces.id', 'apps.space_id')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number | string>('packages.stored_bytes'), sql<number>`0`).as('bytes'))
    .where('spaces.organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return Number(droplets.bytes) + Number(packages.bytes);
}

/**
 * Sets a package's reservation to exactly `bytes` inside the caller's transaction, or throws the
 * 422 and changes nothing.
 */
export async function reserveForPackage(
  trx: Transaction<Database>,
  owner: { packageId: number; organizationId: number },
  bytes: number,
  limitBytes: number,
): Promise<void> {
  await lockOrganization(trx, owner.organizationId);
  const own = await trx.selectFrom('packages').select('stored_bytes').where('id', '=', owner.packageId).executeTakeFirstOrThrow();
  const used = (await dropletBytesOfOrganization(trx, owner.organizationId)) - Number(own.stored_bytes);
  if (used + bytes > limitBytes) throw dropletStorageExceeded(limitBytes, used, bytes);
  await trx.updateTable('packages').set({ stored_bytes: bytes }).where('id', '=', owner.packageId).execute();
}

/**
 * Checks, inside the caller's transaction, that `bytes` more fit in the organization's budget and
 * reserves them for the droplet; otherwise throws the 422 and reserves nothing.
 */
export async function reserveExactly(trx: Transaction<Database>, owner: DropletOwner, bytes: number, limitBytes: number): Promise<void> {
  await lockOrganization(trx, owner.organizationId);
  const used = await dropletBytesOfOrganization(trx, owner.organizationId, owner.dropletId);
  if (used + bytes > limitBytes) throw dropletStorageExceeded(limitBytes, used, bytes);
  await trx.updateTable('droplets').set({ stored_bytes: bytes }).where('id', '=', owner.dropletId).execute();
}

/**
 * What is left of the budget for a droplet whose upload is about to be processed, up to `wanted`
 * (0 when nothing is left), and what the others take. Not reserved: the expansion is bounded by
 * it, and a node expands one upload of an organization at a time (OrgLanes), settling its real
 * size before the next; so other uploads may still be received meanwhile. Nodes expanding uploads
 * of one organization at the same moment can overrun the budget by one expansion each.
 */
export async function roomFor(
  db: Kysely<Database>,
  owner: DropletOwner,
  wanted: number,
  limitBytes: number,
): Promise<{ granted: number; used: number }> {
  const used = await dropletBytesOfOrganization(db, owner.organizationId, owner.dropletId);
  return { granted: Math.max(0, Math.min(wanted, limitBytes - used)), used };
}

/**
 * Refuses at once when the organization's droplets already take their whole budget; otherwise
 * answers what they take.
 */
export async function assertDropletStorageLeft(db: Kysely<Database>, organizationId: number, limitBytes: number): Promise<number> {
  const used = await dropletBytesOfOrganization(db, organizationId);
  if (used >= limitBytes) throw dropletStorageExceeded(limitBytes, used);
  return used;
}
