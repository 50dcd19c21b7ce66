// CF's audit event object: who did what to which resource, where.
import type { AuditEventRow } from '../../../store/schema.js';
import { toCfTime } from '../../../core/time.js';

export function presentAuditEvent(event: AuditEventRow, base: string) {
  return {
    guid: event.guid,
    created_at: toCfTime(event.created_at),
    updated_at: toCfTime(event.updated_at),
    type: event.type,
    actor: { guid: event.actor_guid, type: event.actor_type, name: event.actor_name },
    target: { guid: event.target_guid, type: event.target_type, name: event.target_name },
    data: JSON.parse(event.data) as Record<string, unknown>,
    space: event.space_guid === null ? null : { guid: event.space_guid },
    organization: event.organization_guid === null ? null : { guid: event.organization_guid },
    links: { self: { href: `${base}/v3/audit_events/${event.guid}` } },
  };
}
