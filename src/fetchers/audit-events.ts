// Reads of audit events. As in CF (Event.user_visible): global readers see every event; others
// see the events of spaces where they are developer or auditor and of organizations where they
// are auditor. Managers and supporters are not shown events.
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notFound } from '../core/errors.js';
import type { ListQuery } from '../core/list-query.js';
import type { AuditEventRow, Database } from '../store/schema.js';
import { applyListFilters, fetchPage, type ListTable, type Page } from './list.js';

const table: ListTable = {
  alias: 'audit_events',
  resourceKind: 'audit_event',
  filters: {
    types: { column: 'audit_events.type' },
    target_guids: { column: 'audit_events.target_guid' },
    space_guids: { column: 'audit_events.space_guid' },
    organization_guids: { column: 'audit_events.organization_guid' },
  },
};

type EventSelect = SelectQueryBuilder<Database, 'audit_events', AuditEventRow>;

/**
 * Matched by guid rather than id: events outlive their spaces and organizations, and a guid is
 * never given to another one.
 */
function whereVisible(qb: EventSelect, actor: Permissions): EventSelect {
  if (actor.readsGlobally) return qb;
  const spaceIds = actor.roles
    .filter((r) => r.spaceId !== null && (r.type === 'space_developer' || r.type === 'space_auditor'))
    .map((r) => r.spaceId!);
  const orgIds = actor.roles.filter((r) => r.spaceId === null && r.type === 'organization_auditor').map((r) => r.organizationId!);
  if (!spaceIds.length && !orgIds.length) return qb.where(sql<boolean>`1 = 0`);
  return qb.where((eb) =>
    eb.or([
      ...(spaceIds.length
        ? [eb('audit_events.space_guid', 'in', eb.selectFrom('spaces').select('spaces.guid').where('spaces.id', 'in', spaceIds))]
        : []),
      ...(orgIds.length
        ? [
            eb(
              'audit_events.organization_guid',
              'in',
              eb.selectFrom('organizations').select('organizations.guid').where('organizations.id', 'in', orgIds),
            ),
          ]
        : []),
    ]),
  );
}

export function listAuditEvents(db: Kysely<Database>, actor: Permissions, query: ListQuery): Promise<Page<AuditEventRow>> {
  const qb = whereVisible(db.selectFrom('audit_events').selectAll('audit_events'), actor);
  return fetchPage<AuditEventRow>(applyListFilters(qb, query, table), query, 'audit_events');
}

/** The event if the caller may see it; else 404 "Event not found". */
export async function getReadableAuditEvent(db: Kysely<Database>, actor: Permissions, guid: string): Promise<AuditEventRow> {
  const event = await whereVisible(db.selectFrom('audit_events').selectAll('audit_events'), actor)
    .where('audit_events.guid', '=', guid)
    .executeTakeFirst();
  if (!event) throw notFound('Event');
  return event;
}
