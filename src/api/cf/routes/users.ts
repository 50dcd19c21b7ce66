// /v3/users
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../../../store/schema.js';
import { parseListQuery, type RawQuery } from '../messages/list-query.js';
import { loadMetadata } from '../../../store/metadata.js';
import { getVisibleUser, listUsers } from '../../../fetchers/users.js';
import { createUser, deleteUser } from '../../../actions/users.js';
import { completedJob } from '../../../actions/jobs.js';
import { parseUserCreate } from '../messages/user.js';
import { presentUser } from '../presenters/user.js';
import { presentList } from '../presenters/pagination.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';
import { userListSpec } from '../messages/list-specs.js';

/** Users as CF presents them, with their metadata (also used for `include`). */
export async function presentUsers(db: Kysely<Database>, base: string, users: UserRow[]) {
  const metadata = await loadMetadata(
    db,
    'user',
    users.map((u) => u.id),
  );
  return users.map((u) => presentUser(u, metadata.get(u.id), base));
}

export function userRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;
  const present = (request: FastifyRequest, users: UserRow[]) => presentUsers(db, baseUrl(ctx, request), users);

  app.post('/v3/users', async (request, reply) => {
    const msg = parseUserCreate(request.body, ctx.config);
    const user = await createUser(db, actorOf(request), msg, ctx.config);
    return reply.status(201).send((await present(request, [user]))[0]);
  });

  app.get('/v3/users', async (request) => {
    const query = parseListQuery(request.query as RawQuery, userListSpec);
    const page = await listUsers(db, actorOf(request), query);
    return presentList(`${baseUrl(ctx, request)}/v3/users`, query, page.total, await present(request, page.rows));
  });

  app.get('/v3/users/:guid', { schema: { params: GuidParams } }, async (request) => {
    const { guid } = request.params;
    return (await present(request, [await getVisibleUser(db, actorOf(request), guid)]))[0];
  });

  // Done at once (the user's tokens stop working as it answers); the job is there for clients that poll.
  app.delete('/v3/users/:guid', { schema: { params: GuidParams } }, async (request, reply) => {
    const actor = actorOf(request);
    const user = await getVisibleUser(db, actor, request.params.guid);
    await deleteUser(db, actor, user);
    const job = await completedJob(db, 'user.delete', 'user', user.guid);
    return reply
      .status(202)
      .header('location', `${baseUrl(ctx, request)}/v3/jobs/${job.guid}`)
      .send();
  });
}
