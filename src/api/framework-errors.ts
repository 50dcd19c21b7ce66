// Requests Fastify refuses before any route or plugin sees them — a URL whose percent-encoding
// cannot be decoded, a path segment longer than any id — answered in the envelope of the dialect
// whose prefix the URL names (CF's for everything else), not in Fastify's own JSON.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../core/errors.js';
import { astraErrorHandler } from './astra/plugin.js';
import { cfErrorHandler } from './cf/errors.js';
import { dbvisitErrorHandler } from './dbvisit/errors.js';
import { logCacheErrorHandler } from './logcache/errors.js';
import { vsphereErrorHandler } from './vsphere/plugin.js';
import { apiWire, restWire } from './vsphere/wire.js';

type ErrorHandler = (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => unknown;

export type PathOwner = 'cf' | 'oauth' | 'astra' | 'vsphere-rest' | 'vsphere-api' | 'logcache' | 'dbvisit';

const DIALECT_PREFIXES: [string, PathOwner][] = [
  ['/accounts', 'astra'],
  ['/rest', 'vsphere-rest'],
  // Log cache's version prefix, before vSphere's /api which holds it.
  ['/api/v1', 'logcache'],
  ['/api', 'vsphere-api'],
  ['/task', 'dbvisit'],
  ['/oauth', 'oauth'],
];

/** Whose envelope a refusal of this path is in: the dialect whose prefix it names, else CF's. */
export function dialectOfPath(path: string): PathOwner {
  const owner = DIALECT_PREFIXES.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`));
  return owner?.[1] ?? 'cf';
}

const HANDLERS: Record<PathOwner, ErrorHandler> = {
  astra: astraErrorHandler,
  'vsphere-rest': vsphereErrorHandler(restWire),
  'vsphere-api': vsphereErrorHandler(apiWire),
  logcache: logCacheErrorHandler,
  dbvisit: dbvisitErrorHandler,
  // The token endpoint's own handler is the route's; before any route, CF's envelope.
  oauth: cfErrorHandler,
  cf: cfErrorHandler,
};

export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  // A segment longer than any id names nothing that exists; an undecodable URL is a bad request.
  const refusal = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? new ApiError('NotFound') : new ApiError('InvalidRequest');
  void HANDLERS[dialectOfPath(request.url)](refusal, request, reply);
}
