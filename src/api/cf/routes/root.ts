// Discovery: GET / and GET /v3 (CF's root links; uaa and login point back at taskd), and the
// login-server info the cf CLI reads before prompting. A browser asking for / gets the dashboard
// (web.ts) instead, when it is built.
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { baseUrl } from '../request.js';
import { acceptsHtml, sendDashboardPage } from '../../web.js';

const V3_RESOURCES = [
  'apps',
  'audit_events',
  'buildpacks',
  'builds',
  'droplets',
  'feature_flags',
  'organizations',
  'organization_quotas',
  'packages',
  'processes',
  'resource_matches',
  'roles',
  'routes',
  'spaces',
  'space_quotas',
  'stacks',
  'tasks',
  'users',
];

export function rootRoutes(app: TypedApp, ctx: AppContext) {
  const open = { config: { public: true } };

  app.get('/', open, async (request, reply) => {
    // One URL, two audiences: browsers get the dashboard, API clients CF's root links.
    reply.header('vary', 'Accept');
    if (app.dashboardPage !== null && acceptsHtml(request.headers.accept)) return sendDashboardPage(reply, app.dashboardPage);
    const base = baseUrl(ctx, request);
    return {
      links: {
        self: { href: base },
        bits_service: null,
        cloud_controller_v2: null,
        cloud_controller_v3: { href: `${base}/v3`, meta: { version: '3.180.0' } },
        network_policy_v0: null,
        network_policy_v1: null,
        login: { href: base },
        uaa: { href: base },
        credhub: null,
        routing: null,
        logging: null,
        // taskd answers log cache's read API itself (api/logcache), under /api/v1.
        log_cache: { href: base },
        log_stream: null,
        app_ssh: null,
      },
    };
  });

  app.get('/v3', open, async (request) => {
    const base = baseUrl(ctx, request);
    const links: Record<string, { href: string }> = { self: { href: `${base}/v3` } };
    for (const name of V3_RESOURCES) links[name] = { href: `${base}/v3/${name}` };
    return { links };
  });

  app.get('/login', open, async (request) => ({
    app: { version: '4.30.0' },
    showLoginLinks: true,
    links: { login: baseUrl(ctx, request), passwd: null, register: null, uaa: baseUrl(ctx, request) },
    zone_name: 'uaa',
    entityID: 'taskd',
    commit_id: 'taskd',
    idpDefinitions: {},
    prompts: { username: ['text', 'Username'], password: ['password', 'Password'] },
    timestamp: new Date().toISOString(),
  }));
}
