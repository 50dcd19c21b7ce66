// /v3/processes and an app's processes, with their stats and sidecars (read only: processes appear when a droplet is assigned).
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { parseListQuery, type RawQuery } from '../messages/list-query.js';
import { loadMetadata } from '../../../store/metadata.js';
import { getReadableApp } from '../../../fetchers/apps.js';
import {
  getReadableAppProcess,
  getReadableProcess,
  listAppProcesses,
  listProcesses,
  processCommand,
  type ProcessWithRefs,
} from '../../../fetchers/processes.js';
import type { SecretsView } from '../presenters/droplet.js';
import { presentProcess } from '../presenters/process.js';
import { presentProcessStats, withProcessInstances } from '../presenters/process-stats.js';
import { presentList } from '../presenters/pagination.js';
import { actorOf, baseUrl } from '../request.js';
import { AppProcessParams, GuidParams } from '../schemas.js';
import { appProcessListSpec, PROCESS_EMBEDS, processListSpec, sidecarListSpec } from '../messages/list-specs.js';
import { listIncludes, parseShowInclude } from '../messages/include.js';

export function processRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;

  async function present(request: FastifyRequest, processes: ProcessWithRefs[], secrets: SecretsView, embed: string[] = []) {
    const metadata = await loadMetadata(
      db,
      'process',
      processes.map((p) => p.id),
    );
    const base = baseUrl(ctx, request);
    return processes.map((p) => {
      const presented = presentProcess(
        p,
        { appGuid: p.app_guid, spaceGuid: p.space_guid, command: processCommand(p, p.droplet_process_types) },
        metadata.get(p.id),
        base,
        secrets,
      );
      return embed.includes('process_instances') ? withProcessInstances(presented, p) : presented;
    });
  }

  app.get('/v3/processes', async (request) => {
    const query = parseListQuery(request.query as RawQuery, processListSpec);
    const embed = listIncludes(query, PROCESS_EMBEDS, 'embed');
    const page = await listProcesses(db, actorOf(request), query);
    return presentList(`${baseUrl(ctx, request)}/v3/processes`, query, page.total, await present(request, page.rows, 'list', embed));
  });

  /**
   * One process, its command shown to those who may read the space's secrets. Its query (`embed`
   * only) is checked once the process is found, as CC does.
   */
  async function presentOne(request: FastifyRequest, process: ProcessWithRefs) {
    const embed = parseShowInclude(request.query as RawQuery, PROCESS_EMBEDS, 'embed');
    const where = { spaceId: process.space_id, organizationId: process.organization_id };
    return (await present(request, [process], actorOf(request).canReadSecrets(where) ? 'show' : 'hide', embed))[0];
  }

  app.get('/v3/processes/:guid', { schema: { params: GuidParams } }, async (request) => {
    return presentOne(request, await getReadableProcess(db, actorOf(request), request.params.guid));
  });

  app.get('/v3/apps/:guid/processes/:type', { schema: { params: AppProcessParams } }, async (request) => {
    const { guid, type } = request.params;
    return presentOne(request, await getReadableAppProcess(db, actorOf(request), guid, type));
  });

  // CF lets every reader of the space see the stats; they hold no secrets.
  app.get('/v3/processes/:guid/stats', { schema: { params: GuidParams } }, async (request) => {
    return presentProcessStats(await getReadableProcess(db, actorOf(request), request.params.guid));
  });

  app.get('/v3/apps/:guid/processes/:type/stats', { schema: { params: AppProcessParams } }, async (request) => {
    const { guid, type } = request.params;
    return presentProcessStats(await getReadableAppProcess(db, actorOf(request), guid, type));
  });

  // taskd runs no sidecars: CF's empty list, after CF's checks of the query and the process.
  // Its links carry paging and ordering only, as CF's do (it gives its list presenter no filters).
  app.get('/v3/processes/:guid/sidecars', { schema: { params: GuidParams } }, async (request) => {
    const query = parseListQuery(request.query as RawQuery, sidecarListSpec);
    const process = await getReadableProcess(db, actorOf(request), request.params.guid);
    return presentList(`${baseUrl(ctx, request)}/v3/processes/${process.guid}/sidecars`, { ...query, echo: [] }, 0, []);
  });

  app.get('/v3/apps/:guid/processes', { schema: { params: GuidParams } }, async (request) => {
    const query = parseListQuery(request.query as RawQuery, appProcessListSpec);
    const { guid } = request.params;
    const { app: owner } = await getReadableApp(db, actorOf(request), guid);
    const embed = listIncludes(query, PROCESS_EMBEDS, 'embed');
    const page = await listAppProcesses(db, owner, query);
    return presentList(
      `${baseUrl(ctx, request)}/v3/apps/${owner.guid}/processes`,
      query,
      page.total,
      await present(request, page.rows, 'list', embed),
    );
  });
}
