// Builds the Fastify app and registers each API dialect as a plugin.
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { servesApi } from '../config.js';
import { cfPlugin } from './cf/plugin.js';
import { refuseNulCharacters } from './hostile-input.js';
import { frameworkErrorHandler } from './framework-errors.js';
import { clientErrorHandler } from './client-errors.js';
import { astraPlugin } from './astra/plugin.js';
import { vsphereApiPlugin, vsphereRestPlugin } from './vsphere/plugin.js';
import { dbvisitPlugin } from './dbvisit/plugin.js';
import { logCachePlugin } from './logcache/plugin.js';
import { metricsRoutes, observeHttpRequests } from './metrics.js';
import { healthRoutes } from './health.js';
import { registerOpenApi } from './openapi.js';
import { registerDashboard } from './web.js';
import { serverTimeouts, limitConnections } from './server-timeouts.js';
import { sendRateLimitHeaders } from './rate-limits.js';
import { sendSecurityHeaders } from './response-headers.js';
import { httpsOption } from './tls.js';
import { limitTenants } from './connection-limits.js';
import { requestLoggerOptions } from './request-log.js';
import { keepForwardedHeadersSane, trustProxyOption } from './trusted-proxy.js';

export interface ServerOptions {
  /** Log requests (serve does; tests keep quiet). */
  logRequests?: boolean;
}

export async function buildServer(ctx: AppContext, options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logRequests ? requestLoggerOptions() : { logger: false }),
    bodyLimit: ctx.config.maxBodyBytes,
    // HTTPS on the same port when given a certificate and key.
    ...httpsOption(ctx.config),
    // Slow or stalled clients must not pin connections: bound the whole request, the headers,
    // idle keep-alive and idle sockets (see serverTimeouts).
    ...serverTimeouts(ctx.config),
    // X-Forwarded-For, -Proto and -Host are believed from the trusted proxies only (trusted-proxy.ts);
    // links and errors echo the host, which baseUrl keeps in the shape of a host.
    trustProxy: trustProxyOption(ctx.config),
    // Body and query validation produce each dialect's exact messages in its message parsers;
    // the route schemas describe the wire (for serialization and the OpenAPI document).
    schemaErrorFormatter: (errors) => new Error(errors.map((e) => e.message).join(', ')),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    frameworkErrors: frameworkErrorHandler,
    // Requests Node's parser refuses (raw non-ASCII bytes in the URL, oversized headers): in the dialect's envelope too.
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(() => (data) => ({ value: data }));
  // Before any plugin, so every route and not-found answer inherits the timing hook.
  observeHttpRequests(app, ctx.metrics);
  // First, so the document sees every dialect's routes as they are added.
  await registerOpenApi(app);
  refuseNulCharacters(app);
  keepForwardedHeadersSane(app);
  // Before the probes and every dialect: each request is admitted first (the probes always are).
  limitTenants(app, ctx);
  sendRateLimitHeaders(app);
  sendSecurityHeaders(app, ctx.config);
  // At the root, outside every dialect: no dialect's auth or envelope applies to the probes.
  healthRoutes(app, ctx);
  // With a listener of its own, /metrics is served there only (see buildMetricsServer).
  if (ctx.config.metricsAddress === undefined) metricsRoutes(app, ctx, 'credential');
  // A runner-only node answers the probes (and metrics) and nothing else.
  if (!servesApi(ctx.config)) return app;
  // Before the CF plugin: its GET / reads the dashboard page decorated here.
  await registerDashboard(app);
  await app.register(cfPlugin, { ctx });
  // The other dialects each own a path prefix, with their own envelopes and not-found answers.
  await app.register(astraPlugin, { ctx, prefix: '/accounts' });
  await app.register(vsphereRestPlugin, { ctx, prefix: '/rest' });
  await app.register(vsphereApiPlugin, { ctx, prefix: '/api' });
  // Log cache's HTTP API lives under /api/v1, beside vSphere's /api paths (none of which is /api/v1).
  await app.register(logCachePlugin, { ctx, prefix: '/api/v1' });
  await app.register(dbvisitPlugin, { ctx, prefix: '/task' });
  return app;
}

/**
 * The separate listener of TASKD_METRICS_ADDRESS: /metrics and nothing else, without credentials,
 * for an address that tasks cannot reach (a management interface, say).
 */
export async function buildMetricsServer(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ...serverTimeouts(ctx.config) });
  limitConnections(app, ctx.config);
  metricsRoutes(app, ctx, 'open');
  return app;
}
