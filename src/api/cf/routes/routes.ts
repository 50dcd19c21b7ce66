// /v3/routes and /v3/apps/:guid/routes. taskd runs tasks, never web instances, so nothing is ever
// routed to an app: both lists are always empty, answered as Cloud Controller answers them for a
// foundation without routes (its parameters checked, `include` decorated with empty lists). The cf
// CLI reads them for `cf apps` and `cf app`, and finds every resource it reads through /v3's links.
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { getReadableApp } from '../../../fetchers/apps.js';
import { listIncludes } from '../messages/include.js';
import { parseListQuery, type CfListQuery, type RawQuery } from '../messages/list-query.js';
import { ROUTE_INCLUDES, routeListSpec } from '../messages/list-specs.js';
import { presentList } from '../presenters/pagination.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';

function parseRouteQuery(raw: RawQuery): CfListQuery {
  const query = parseListQuery(raw, routeListSpec);
  listIncludes(query, ROUTE_INCLUDES);
  return query;
}

/** CC's include decorators for routes, in its order, each adding its list (empty: no routes). */
function emptyIncluded(include: readonly string[]): Record<string, never[]> | undefined {
  const included: Record<string, never[]> = {};
  if (include.includes('domain')) included.domains = [];
  if (include.includes('space') || include.includes('space.organization')) included.spaces = [];
  if (include.includes('space.organization')) included.organizations = [];
  if (include.includes('route_policies')) included.route_policies = [];
  return Object.keys(included).length ? included : undefined;
}

export function routeRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;

  app.get('/v3/routes', async (request) => {
    const query = parseRouteQuery(request.query as RawQuery);
    const list = presentList(`${baseUrl(ctx, request)}/v3/routes`, query, 0, []);
    const included = emptyIncluded(query.lists.include ?? []);
    return included ? { ...list, included } : list;
  });

  // CC checks the parameters before it looks for the app, and decorates nothing here.
  app.get('/v3/apps/:guid/routes', { schema: { params: GuidParams } }, async (request) => {
    const query = parseRouteQuery(request.query as RawQuery);
    const { app: owner } = await getReadableApp(db, actorOf(request), request.params.guid);
    return presentList(`${baseUrl(ctx, request)}/v3/apps/${owner.guid}/routes`, query, 0, []);
  });
}
