// /v3/roles
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { ApiError, unprocessable } from '../../../core/errors.js';
import { parseListQuery, type CfListQuery as ListQuery, type RawQuery } from '../messages/list-query.js';
import { getReadableRole, listRoles, loadRoleIncluded, ROLE_INCLUDES, type RoleInclude, type RoleView } from '../../../fetchers/roles.js';
import { createRole, deleteRole } from '../../../actions/roles.js';
import { completedJob } from '../../../actions/jobs.js';
import { parseRoleCreate } from '../messages/role.js';
import { presentRole } from '../presenters/role.js';
import { presentList } from '../presenters/pagination.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';
import { presentUsers } from './users.js';
import { presentOrganizations } from './organizations.js';
import { presentSpaces } from './spaces.js';
import { roleListSpec } from '../messages/list-specs.js';
import { listIncludes, parseShowInclude } from '../messages/include.js';

/**
 * CF's roles controller answers every invalid list or show query with 422 UnprocessableEntity
 * (not the 400 BadQueryParameter other lists use), with the bare validation messages.
 */
function parseRoleQuery(raw: RawQuery): ListQuery {
  const query = asUnprocessable(() => {
    const parsed = parseListQuery(raw, roleListSpec);
    listIncludes(parsed, ROLE_INCLUDES);
    return parsed;
  });
  // CF lists roles oldest first and says so in its links.
  query.orderBy ??= { column: 'created_at', direction: 'asc' };
  return query;
}

function parseShowQuery(raw: RawQuery): RoleInclude[] {
  return asUnprocessable(() => parseShowInclude(raw, ROLE_INCLUDES)) as RoleInclude[];
}

/** The roles controller's 422 for what other controllers answer 400 BadQueryParameter. */
function asUnprocessable<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ApiError && err.errorName === 'BadQueryParameter') throw unprocessable(String(err.args[0]));
    throw err;
  }
}

export function roleRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;

  async function presentIncluded(base: string, roles: RoleView[], include: RoleInclude[]) {
    const rows = await loadRoleIncluded(db, roles, include);
    const included: Record<string, unknown[]> = {};
    if (rows.users) included.users = await presentUsers(db, base, rows.users);
    if (rows.organizations) included.organizations = await presentOrganizations(db, base, rows.organizations);
    if (rows.spaces) included.spaces = await presentSpaces(db, base, rows.spaces);
    return included;
  }

  app.post('/v3/roles', async (request, reply) => {
    const msg = parseRoleCreate(request.body);
    const role = await createRole(db, actorOf(request), msg);
    return reply.status(201).send(presentRole(role, baseUrl(ctx, request)));
  });

  app.get('/v3/roles', async (request) => {
    const query = parseRoleQuery(request.query as RawQuery);
    const page = await listRoles(db, actorOf(request), query);
    const base = baseUrl(ctx, request);
    const list = presentList(
      `${base}/v3/roles`,
      query,
      page.total,
      page.rows.map((r) => presentRole(r, base)),
    );
    const include = (query.lists.include ?? []) as RoleInclude[];
    return include.length ? { ...list, included: await presentIncluded(base, page.rows, include) } : list;
  });

  app.get('/v3/roles/:guid', { schema: { params: GuidParams } }, async (request) => {
    const include = parseShowQuery(request.query as RawQuery);
    const { guid } = request.params;
    const role = await getReadableRole(db, actorOf(request), guid);
    const base = baseUrl(ctx, request);
    const presented = presentRole(role, base);
    return include.length ? { ...presented, included: await presentIncluded(base, [role], include) } : presented;
  });

  app.delete('/v3/roles/:guid', { schema: { params: GuidParams } }, async (request, reply) => {
    const { guid } = request.params;
    const actor = actorOf(request);
    const role = await getReadableRole(db, actor, guid);
    await deleteRole(db, actor, role);
    const job = await completedJob(db, 'role.delete', 'role', role.guid);
    return reply
      .status(202)
      .header('location', `${baseUrl(ctx, request)}/v3/jobs/${job.guid}`)
      .send();
  });
}
