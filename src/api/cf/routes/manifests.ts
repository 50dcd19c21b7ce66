// POST /v3/spaces/:guid/actions/apply_manifest: the manifest `cf push` sends (YAML) is applied
// before the answer, so the job the client is pointed at has already completed. POST
// /v3/spaces/:guid/manifest_diff: what applying it would change, without changing anything.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { ApiError, notAuthorized } from '../../../core/errors.js';
import { getReadableSpace, type SpaceInOrg } from '../../../fetchers/spaces.js';
import { applyManifest } from '../../../actions/manifest.js';
import type { AppManifest } from '../../../core/app-manifest.js';
import { manifestDiff } from '../../../fetchers/manifest-diff.js';
import { assertWritable } from '../../../actions/writable.js';
import { completedJob } from '../../../actions/jobs.js';
import { MAX_MANIFEST_BYTES, parseManifest } from '../messages/manifest.js';
import { actorOf, baseUrl } from '../request.js';
import { GuidParams } from '../schemas.js';

const YAML_TYPES = ['application/x-yaml', 'text/yaml', 'application/yaml', 'text/x-yaml'];

export function manifestRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;

  app.register(async (scope) => {
    // YAML only here; any other body is read as text too, so the route can refuse it in CC's words.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_MANIFEST_BYTES }, (_request, body, done) => done(null, body));

    /** The space (readable, else 404; writable, else 403, as CC checks before the body) and the manifest. */
    async function readManifest(request: FastifyRequest): Promise<{ found: SpaceInOrg; manifests: AppManifest[] }> {
      const actor = actorOf(request);
      const found = await getReadableSpace(db, actor, (request.params as { guid: string }).guid);
      if (!actor.canWriteSpace({ spaceId: found.space.id, organizationId: found.org.id })) throw notAuthorized();
      assertWritable(actor, found.org, found.space);
      const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (!YAML_TYPES.includes(type)) throw new ApiError('BadRequestReason', 'Content-Type must be yaml');
      return { found, manifests: parseManifest(typeof request.body === 'string' ? request.body : '') };
    }

    scope.post('/v3/spaces/:guid/actions/apply_manifest', { schema: { params: GuidParams } }, async (request, reply) => {
      const { found, manifests } = await readManifest(request);
      await applyManifest(db, actorOf(request), found, manifests, { maxEnvChars: ctx.config.maxAppEnvChars }, ctx.config);
      const job = await completedJob(db, 'space.apply_manifest', 'space', found.space.guid);
      return reply
        .status(202)
        .header('location', `${baseUrl(ctx, request)}/v3/jobs/${job.guid}`)
        .send();
    });

    scope.post('/v3/spaces/:guid/manifest_diff', { schema: { params: GuidParams } }, async (request, reply) => {
      const { found, manifests } = await readManifest(request);
      return reply.status(201).send({ diff: await manifestDiff(db, found.space.id, manifests) });
    });
  });
}
