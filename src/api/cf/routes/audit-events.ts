// GET /v3/audit_events, GET /v3/audit_events/:guid.
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { parseListQuery, type RawQuery } from '../messages/list-query.js';
import { getReadableAuditEvent, listAuditEvents } from '../../../fetchers/audit-events.js';
import { presentAuditEvent } from '../presenters/audit-event.js';
import { presentList } from '../presenters/pagination.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';
import { auditEventListSpec } from '../messages/list-specs.js';

export function auditEventRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;

  app.get('/v3/audit_events', async (request) => {
    const query = parseListQuery(request.query as RawQuery, auditEventListSpec);
    const page = await listAuditEvents(db, actorOf(request), query);
    const base = baseUrl(ctx, request);
    return presentList(
      `${base}/v3/audit_events`,
      query,
      page.total,
      page.rows.map((e) => presentAuditEvent(e, base)),
    );
  });

  app.get('/v3/audit_events/:guid', { schema: { params: GuidParams } }, async (request) => {
    const { guid } = request.params;
    return presentAuditEvent(await getReadableAuditEvent(db, actorOf(request), guid), baseUrl(ctx, request));
  });
}
