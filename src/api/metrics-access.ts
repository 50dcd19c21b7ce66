// Who may read /metrics on the main listener. Tasks reach 127.0.0.1 when their network is on, so
// the figures (task counts over all tenants, this node's load) are not public: a scrape needs the
// operator's static scrape token (TASKD_METRICS_TOKEN, as Prometheus sends it: `Authorization:
// Bearer <token>`) or the access token of a user who reads globally (admin, admin_read_only,
// global_auditor). A task's own token is never enough, whoever created the task. Failures answer in
// CF's envelope, as /v3 does: 401 without a usable credential, 403 for a user without global read.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { ApiError } from '../core/errors.js';
import { bearerToken, identify } from '../auth/identify.js';
import { cfErrorHandler } from './cf/errors.js';

/** Compared as digests of equal length, so the time taken says nothing of the token. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

async function checkScrapeCredential(ctx: AppContext, authorization: string | undefined): Promise<void> {
  if (!authorization) throw new ApiError('NotAuthenticated');
  const expected = ctx.config.metricsToken;
  const given = bearerToken(authorization);
  if (expected !== undefined && given !== undefined && sameSecret(given, expected)) return;
  const actor = await identify(ctx.store.db, ctx.tokens, authorization);
  if (actor.ownTask || !actor.readsGlobally) throw new ApiError('NotAuthorized');
}

/** An onRequest hook for /metrics: lets a scrape with a credential through, answers the rest. */
export function requireScrapeCredential(ctx: AppContext) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      await checkScrapeCredential(ctx, request.headers.authorization);
    } catch (err) {
      // Outside the CF plugin, so its error handler is called here: catalog errors in CF's
      // envelope, anything else (the store failing) a logged 500 that shows no detail.
      return cfErrorHandler(err as Error, request, reply);
    }
  };
}
