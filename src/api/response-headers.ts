// Headers every answer carries, whatever the dialect:
// - Cache-Control: no-store, unless the route chose its own (the dashboard's hashed assets are
//   cached for a year, its page revalidated): API answers carry tokens, environment variables and
//   task output, which no browser or proxy cache may keep.
// - Strict-Transport-Security when clients reach taskd over HTTPS (served here, or through a
//   TLS-terminating proxy: an https external URL, or a request a trusted proxy says came over https),
//   so a browser that has been here once never talks to it in clear text again.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';

export const HSTS = 'max-age=31536000; includeSubDomains';

export function sendSecurityHeaders(app: FastifyInstance, config: Pick<Config, 'tlsCertFile' | 'externalUrl'>): void {
  const alwaysHttps = config.tlsCertFile !== undefined || config.externalUrl?.startsWith('https:') === true;
  app.addHook('onSend', (request, reply, payload, done) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    if (alwaysHttps || request.protocol === 'https') reply.header('strict-transport-security', HSTS);
    done(null, payload);
  });
}
