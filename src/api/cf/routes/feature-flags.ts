// /v3/feature_flags
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { parseListQuery, type RawQuery } from '../messages/list-query.js';
import { getFeatureFlag, listFeatureFlags } from '../../../fetchers/feature-flags.js';
import { assertMayUpdateFeatureFlags, updateFeatureFlag } from '../../../actions/feature-flags.js';
import { parseFeatureFlagUpdate } from '../messages/feature-flag.js';
import { presentFeatureFlag } from '../presenters/feature-flag.js';
import { presentList } from '../presenters/pagination.js';
import { actorOf, baseUrl } from '../request.js';
import { Type } from 'typebox';
import { featureFlagListSpec } from '../messages/list-specs.js';

const NameParams = Type.Object({ name: Type.String() });

export function featureFlagRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;

  app.get('/v3/feature_flags', async (request) => {
    const query = parseListQuery(request.query as RawQuery, featureFlagListSpec);
    const page = await listFeatureFlags(db, query);
    const base = baseUrl(ctx, request);
    return presentList(
      `${base}/v3/feature_flags`,
      query,
      page.total,
      page.rows.map((f) => presentFeatureFlag(f, base)),
    );
  });

  app.get('/v3/feature_flags/:name', { schema: { params: NameParams } }, async (request) => {
    const { name } = request.params;
    return presentFeatureFlag(await getFeatureFlag(db, name), baseUrl(ctx, request));
  });

  app.patch('/v3/feature_flags/:name', { schema: { params: NameParams } }, async (request) => {
    const { name } = request.params;
    const actor = actorOf(request);
    // CF's order: unknown flag, then permission, then the body.
    const flag = await getFeatureFlag(db, name);
    assertMayUpdateFeatureFlags(actor);
    const msg = parseFeatureFlagUpdate(request.body);
    return presentFeatureFlag(await updateFeatureFlag(db, actor, flag, msg), baseUrl(ctx, request));
  });
}
