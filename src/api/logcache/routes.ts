// GET /api/v1/info and GET /api/v1/read/:source_id, the two calls of log cache the cf CLI makes
// for `cf logs`. A source is an app (its guid); its envelopes are its tasks' output lines, readable
// by whoever may read the app (Cloud Controller's own check for log access: any reader of the
// space), and otherwise answered as log cache answers a source the caller may not read.
import os from 'node:os';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import type { TypedApp } from '../typed-app.js';
import { getReadableApp } from '../../fetchers/apps.js';
import { readAppLogLines, NS_PER_MS } from '../../fetchers/app-log-lines.js';
import { parseReadQuery } from './read-message.js';
import { presentReadResponse } from './envelopes.js';
import { logCacheActorOf } from './caller.js';

/**
 * The log cache version answered: at or above 2.0.0 (go-log-cache's FIRST_LOG_CACHE_VERSION_AFTER_API_MOVE),
 * so clients read under /api/v1 rather than /v1.
 */
export const LOG_CACHE_VERSION = '3.2.9';

const SourceParams = Type.Object({ source_id: Type.String() });

export function logCacheRoutes(app: TypedApp, ctx: AppContext) {
  app.get('/info', { config: { public: true } }, async (_request, reply) =>
    reply.type('application/json').send({ version: LOG_CACHE_VERSION, vm_uptime: String(Math.floor(os.uptime())) }),
  );

  app.get('/read/:source_id', { schema: { params: SourceParams } }, async (request, reply) => {
    const message = parseReadQuery(request.query as Record<string, string | string[] | undefined>, () => BigInt(Date.now()) * NS_PER_MS);
    const { app: found } = await getReadableApp(ctx.store.db, logCacheActorOf(request), request.params.source_id);
    // Only LOG envelopes exist here; a name filter matches metrics' names, never a log.
    const wantsLogs = message.envelopeTypes.length === 0 || message.envelopeTypes.includes('LOG');
    const lines =
      wantsLogs && message.nameFilter === ''
        ? await readAppLogLines(ctx.store.db, found.id, {
            start: message.startTime,
            end: message.endTime,
            limit: message.limit,
            descending: message.descending,
          })
        : [];
    return reply.type('application/json').send(presentReadResponse(found.guid, lines));
  });
}
