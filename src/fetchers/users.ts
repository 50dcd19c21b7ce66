// Reads of users: global readers see everyone; others see themselves and the users who hold a
// role in an organization they can see.
import { sql, type Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notFound } from '../core/errors.js';
import type { ListQuery } from '../core/list-query.js';
import type { Database, UserRow } from '../store/schema.js';
import { applyListFilters, fetchPage, type ListTable, type Page } from './list.js';

const table: ListTable = {
  alias: 'users',
  resourceKind: 'user',
  filters: { guids: { column: 'users.guid' }, usernames: { column: 'users.username' }, origins: { column: 'users.origin' } },
};

function visible(db: Kysely<Database>, actor: Permissions) {
  let qb = db.selectFrom('users').selectAll('users');
  const orgs = actor.readableOrgs();
  if (orgs.all) return qb;
  const orgIds = orgs.organizationIds.length ? orgs.organizationIds : [-1];
  qb = qb.where((eb) =>
    eb.or([
      eb('users.id', '=', actor.userId),
      eb.exists(
        eb
          .selectFrom('roles')
          .leftJoin('spaces', 'spaces.id', 'roles.space_id')
          .select(sql`1`.as('one'))
          .whereRef('roles.user_id', '=', 'users.id')
          .where((w) => w.or([w('roles.organization_id', 'in', orgIds), w('spaces.organization_id', 'in', orgIds)])),
      ),
    ]),
  );
  return qb;
}

/** The caller's own user row (a token names a user that may since have been deleted). */
export function findOwnUser(db: Kysely<Database>, actor: Permissions): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('guid', '=', actor.userGuid).executeTakeFirst();
}

export function listUsers(db: Kysely<Database>, actor: Permissions, query: ListQuery): Promise<Page<UserRow>> {
  return fetchPage<UserRow>(applyListFilters(visible(db, actor), query, table), query, 'users');
}

/** The user if the caller may see it; else undefined. */
export function findVisibleUser(db: Kysely<Database>, actor: Permissions, guid: string): Promise<UserRow | undefined> {
  return visible(db, actor).where('users.guid', '=', guid).executeTakeFirst();
}

export async function getVisibleUser(db: Kysely<Database>, actor: Permissions, guid: string): Promise<UserRow> {
  const user = await findVisibleUser(db, actor, guid);
  if (!user) throw notFound('User');
  return user;
}
