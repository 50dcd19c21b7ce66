// /v3/jobs/:guid — what clients poll after an asynchronous request (uploads, deletes).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../context.js';
import { getReadableJob } from '../../../fetchers/jobs.js';
import { presentJob } from '../presenters/job.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';

export function jobRoutes(app: FastifyInstance, ctx: AppContext) {
  const { db } = ctx.store;

  app.get('/v3/jobs/:guid', { schema: { params: GuidParams } }, async (request) => {
    const { guid } = request.params as { guid: string };
    const { job, resourceExists } = await getReadableJob(db, actorOf(request), guid);
    return presentJob(job, resourceExists, baseUrl(ctx, request));
  });
}
