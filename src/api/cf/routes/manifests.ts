// POST /v3/spaces/:guid/actions/apply_manifest: the manifest `cf push` sends (YAML) is applied
// before the answer, so the job the client is pointed at has already completed.
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { ApiError } from '../../../core/errors.js';
import { getReadableSpace } from '../../../fetchers/spaces.js';
import { applyManifest } from '../../../actions/manifest.js';
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
    scope.post('/v3/spaces/:guid/actions/apply_manifest', { schema: { params: GuidParams } }, async (request, reply) => {
      const { guid } = request.params as { guid: string };
      const actor = actorOf(request);
      const found = await getReadableSpace(db, actor, guid);
      const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (!YAML_TYPES.includes(type)) throw new ApiError('BadRequestReason', 'Content-Type must be yaml');
      const manifests = parseManifest(typeof request.body === 'string' ? request.body : '');
      await applyManifest(db, actor, found, manifests, { maxEnvChars: ctx.config.maxAppEnvChars }, ctx.config);
      const job = await completedJob(db, 'space.apply_manifest', 'space', found.space.guid);
      return reply
        .status(202)
        .header('location', `${baseUrl(ctx, request)}/v3/jobs/${job.guid}`)
        .send();
    });
  });
}
