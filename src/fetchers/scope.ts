// Narrows a query to what the caller may read, in SQL.
import { sql, type SelectQueryBuilder } from 'kysely';
import type { Scope } from '../auth/permissions.js';

type AnySelect = SelectQueryBuilder<any, any, any>;

/** Rows living in a space: readable if the space is, or the org is one the caller manages. */
export function whereInReadableSpaces<Q extends AnySelect>(qb: Q, scope: Scope, spaceIdColumn: string, orgIdColumn: string): Q {
  if (scope.all) return qb;
  if (!scope.spaceIds.length && !scope.organizationIds.length) return qb.where(sql<boolean>`1 = 0`) as Q;
  return qb.where((eb) =>
    eb.or([
      ...(scope.spaceIds.length ? [eb(sql.ref(spaceIdColumn), 'in', scope.spaceIds)] : []),
      ...(scope.organizationIds.length ? [eb(sql.ref(orgIdColumn), 'in', scope.organizationIds)] : []),
    ]),
  ) as Q;
}

/** Organizations the caller may see. */
export function whereInReadableOrgs<Q extends AnySelect>(qb: Q, scope: Scope, orgIdColumn: string): Q {
  if (scope.all) return qb;
  if (!scope.organizationIds.length) return qb.where(sql<boolean>`1 = 0`) as Q;
  return qb.where(sql.ref(orgIdColumn), 'in', scope.organizationIds) as Q;
}
