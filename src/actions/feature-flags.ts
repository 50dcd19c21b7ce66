// Turning feature flags on and off is for admins only.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notAuthorized } from '../core/errors.js';
import { nowIso } from '../core/time.js';
import type { Database } from '../store/schema.js';
import type { FeatureFlagUpdateMessage } from '../api/cf/messages/feature-flag.js';
import type { FeatureFlagRow } from '../fetchers/feature-flags.js';

export function assertMayUpdateFeatureFlags(actor: Permissions): void {
  if (!actor.isAdmin) throw notAuthorized();
}

export async function updateFeatureFlag(db: Kysely<Database>, actor: Permissions, flag: FeatureFlagRow, msg: FeatureFlagUpdateMessage): Promise<FeatureFlagRow> {
  assertMayUpdateFeatureFlags(actor);
  const changes: Partial<FeatureFlagRow> = { updated_at: nowIso() };
  if (msg.enabled !== undefined) changes.enabled = msg.enabled ? 1 : 0;
  if (msg.customErrorMessage !== undefined) changes.custom_error_message = msg.customErrorMessage;
  return db.updateTable('feature_flags').set(changes).where('name', '=', flag.name).returningAll().executeTakeFirstOrThrow();
}
