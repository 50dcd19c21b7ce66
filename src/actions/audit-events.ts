// Audit events are written inside the transaction of the change they record, so an event exists
// exactly when its change committed.
import type { Transaction } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { newGuid } from '../core/ids.js';
import { nowIso } from '../core/time.js';
import type { AppRow, Database, OrganizationRow, SpaceRow } from '../store/schema.js';

/** CF's stand-in for secrets in event data. */
export const PRIVATE_DATA_HIDDEN = '[PRIVATE DATA HIDDEN]';

export interface AuditEventInput {
  type: string;
  actor: Permissions;
  target: { guid: string; type: string; name: string | null };
  space: Pick<SpaceRow, 'id' | 'guid'> | null;
  org: Pick<OrganizationRow, 'id' | 'guid'> | null;
  data: Record<string, unknown>;
}

export async function recordAuditEvent(trx: Transaction<Database>, event: AuditEventInput): Promise<string> {
  const now = nowIso();
  const guid = newGuid();
  await trx
    .insertInto('audit_events')
    .values((eb) => ({
      guid,
      type: event.type,
      actor_guid: event.actor.userGuid,
      actor_type: 'user',
      // Read by the insert itself: one round trip per event.
      actor_name: eb.selectFrom('users').select('username').where('id', '=', event.actor.userId),
      target_guid: event.target.guid,
      target_type: event.target.type,
      target_name: event.target.name,
      space_id: event.space?.id ?? null,
      organization_id: event.org?.id ?? null,
      space_guid: event.space?.guid ?? null,
      organization_guid: event.org?.guid ?? null,
      data: JSON.stringify(event.data),
      created_at: now,
      updated_at: now,
    }))
    .execute();
  return guid;
}

/** What CF records about a task in its create and cancel events: never the command. */
export function taskEventData(task: { guid: string; name: string; memory_in_mb: number }) {
  return { task_guid: task.guid, request: { name: task.name, memory_in_mb: task.memory_in_mb, command: PRIVATE_DATA_HIDDEN } };
}

/** An event about a task, targeting its app (CF's actee). */
export function recordTaskEvent(
  trx: Transaction<Database>,
  type: 'audit.app.task.create' | 'audit.app.task.cancel' | 'audit.app.task.pause' | 'audit.app.task.resume' | 'audit.app.task.dismiss',
  actor: Permissions,
  where: { app: AppRow; space: SpaceRow; org: OrganizationRow },
  task: { guid: string; name: string; memory_in_mb: number },
): Promise<string> {
  return recordAuditEvent(trx, {
    type,
    actor,
    target: { guid: where.app.guid, type: 'app', name: where.app.name },
    space: where.space,
    org: where.org,
    data: taskEventData(task),
  });
}
