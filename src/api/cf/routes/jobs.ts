// /v3/jobs/:guid — what clients poll after an asynchronous request (uploads, deletes).
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { getReadableJob } from '../../../fetchers/jobs.js';
import { presentJob } from '../presenters/job.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';

export function jobRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;

  app.get('/v3/jobs/:guid', { schema: { params: GuidParams } }, async (request) => {
    const { job, resourceExists } = await getReadableJob(db, actorOf(request), request.params.guid);
    return presentJob(job, resourceExists, baseUrl(ctx, request));
  });
}
