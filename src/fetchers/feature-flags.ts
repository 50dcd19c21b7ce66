// Reads of feature flags, and the check other actions make before a flag-guarded write.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { ApiError, notFound } from '../core/errors.js';
import type { ListQuery } from '../core/list-query.js';
import type { Database, FeatureFlagsTable } from '../store/schema.js';
import { applyListFilters, type ListTable, type Page } from './list.js';

export type FeatureFlagRow = FeatureFlagsTable;

const table: ListTable = { alias: 'feature_flags', resourceKind: 'feature_flag', filters: {} };

/** All flags, by name (CF's default order), a page at a time. Flags have no id or guid to order by. */
export async function listFeatureFlags(db: Kysely<Database>, query: ListQuery): Promise<Page<FeatureFlagRow>> {
  const filtered = applyListFilters(db.selectFrom('feature_flags').selectAll(), query, table);
  const [countRow, rows] = await Promise.all([
    filtered
      .clearSelect()
      .select((eb) => eb.fn.countAll<number>().as('total'))
      .executeTakeFirst(),
    filtered
      .orderBy('name', query.orderBy?.direction ?? 'asc')
      .limit(query.perPage)
      .offset((query.page - 1) * query.perPage)
      .execute(),
  ]);
  return { rows, total: Number(countRow?.total ?? 0) };
}

/** The flag, or 404 "Feature flag not found" (CF v3's answer for an unknown name). */
export async function getFeatureFlag(db: Kysely<Database>, name: string): Promise<FeatureFlagRow> {
  const flag = await db.selectFrom('feature_flags').selectAll().where('name', '=', name).executeTakeFirst();
  if (!flag) throw notFound('Feature flag');
  return flag;
}

export async function isFeatureEnabled(db: Kysely<Database>, name: string): Promise<boolean> {
  const flag = await db.selectFrom('feature_flags').select('enabled').where('name', '=', name).executeTakeFirst();
  return flag?.enabled === 1;
}

/** CF's FeatureDisabled: the flag's custom message, when set, stands in for its name. */
export const featureDisabled = (name: string, customErrorMessage: string | null) =>
  new ApiError('FeatureDisabled', customErrorMessage ?? name);

/**
 * Refuses a flag-guarded action when the flag is off, except to admins (who bypass every flag,
 * as in CF). Call it before any other check: CF answers FeatureDisabled before a 404.
 */
export async function assertFeatureEnabled(db: Kysely<Database>, actor: Permissions, name: string): Promise<void> {
  if (actor.isAdmin) return;
  const flag = await db.selectFrom('feature_flags').select(['enabled', 'custom_error_message']).where('name', '=', name).executeTakeFirst();
  if (flag && flag.enabled !== 1) throw featureDisabled(name, flag.custom_error_message);
}
