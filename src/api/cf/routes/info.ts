// GET /v3/info: CF's platform information, open to anyone as CF's is, with a taskd block saying
// how this node enforces task limits (spec §11 extensions) — weaker mechanisms are reported, not
// hidden.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../context.js';
import { LIMIT_MECHANISMS } from '../../../runner/limits/mechanisms.js';
import { baseUrl } from '../request.js';

export function infoRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get('/v3/info', { config: { public: true } }, async (request) => ({
    build: '',
    cli_version: { minimum: '', recommended: '' },
    custom: {},
    description: 'taskd: a self-hosted task service',
    name: 'taskd',
    version: 0,
    osbapi_version: '',
    links: {
      self: { href: `${baseUrl(ctx, request)}/v3/info` },
      support: null,
    },
    taskd: { limits: LIMIT_MECHANISMS, sandbox: 'none' },
  }));
}
