// Turning feature flags on and off is for admins only.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notAuthorized } from '../core/errors.js';
import { nowIso } from '../core/time.js';
import type { Database } from '../store/schema.js';
import type { FeatureFlagRow } from '../fetchers/feature-flags.js';

export interface FeatureFlagChange {
  enabled?: boolean;
  /** null clears the custom message. */
  customErrorMessage?: string | null;
}

export function assertMayUpdateFeatureFlags(actor: Permissions): void {
  if (!actor.isAdmin) throw notAuthorized();
}

export async function updateFeatureFlag(
  db: Kysely<Database>,
  actor: Permissions,
  flag: FeatureFlagRow,
  change: FeatureFlagChange,
): Promise<FeatureFlagRow> {
  assertMayUpdateFeatureFlags(actor);
  const changes: Partial<FeatureFlagRow> = { updated_at: nowIso() };
  if (change.enabled !== undefined) changes.enabled = change.enabled ? 1 : 0;
  if (change.customErrorMessage !== undefined) changes.custom_error_message = change.customErrorMessage;
  return db.updateTable('feature_flags').set(changes).where('name', '=', flag.name).returningAll().executeTakeFirstOrThrow();
}
