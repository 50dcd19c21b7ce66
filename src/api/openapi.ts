// The OpenAPI document of every dialect (GET /openapi.json) and a page to read it (/docs).
// Routes are grouped by the URL prefix they live under, so dialect authors tag nothing; the
// grouping touches only the document, never a route's own schema (no validation or
// serialization changes with it).
import { packageVersion } from '../project-files.js';
import type { FastifyInstance, RouteOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

type SecurityRequirement = Record<string, string[]>;

const BEARER: SecurityRequirement = { bearerToken: [] };
const BASIC: SecurityRequirement = { basicPassword: [] };
const VSPHERE_SESSION: SecurityRequirement = { vsphereSession: [] };

interface Dialect {
  tag: string;
  description: string;
  /** URL prefixes this dialect serves; CF takes everything the others do not. */
  prefixes: string[];
  /** Who may call a route, as OpenAPI security requirements (alternatives). */
  security: (route: RouteOptions) => SecurityRequirement[];
}

const isPublic = (route: RouteOptions) => (route.config as { public?: boolean } | undefined)?.public === true;

const DIALECTS: Dialect[] = [
  {
    tag: 'Log Cache',
    description: "Cloud Foundry log cache's read API, as the cf CLI uses it for `cf logs`: an app's task output as loggregator envelopes.",
    // Before vSphere's /api: the first dialect whose prefix a URL has is its own.
    prefixes: ['/api/v1'],
    security: (route) => (isPublic(route) ? [] : [BEARER]),
  },
  {
    tag: 'NetApp Astra',
    description: "NetApp Astra Control's read-only core/v1 tasks API; an account is a taskd organization.",
    prefixes: ['/accounts'],
    security: () => [BEARER],
  },
  {
    tag: 'vSphere Automation',
    description: 'VMware vSphere Automation CIS tasks and sessions, in the legacy /rest form and the /api form.',
    prefixes: ['/rest', '/api'],
    security: (route) => (isPublic(route) ? [BASIC] : [VSPHERE_SESSION]),
  },
  {
    tag: 'Dbvisit StandbyMP',
    description: "Dbvisit StandbyMP's JSON-RPC-style task calls: POST a {params} body, get a {successful, result | error} envelope.",
    prefixes: ['/task'],
    security: () => [BASIC, BEARER],
  },
];

const CLOUD_FOUNDRY: Dialect = {
  tag: 'Cloud Foundry v3',
  description: "taskd's primary API: Cloud Foundry v3 tasks and the resources they need, plus the token endpoint and discovery routes.",
  prefixes: ['/v3', '/oauth', '/'],
  security: (route) => (isPublic(route) ? [] : [BEARER]),
};

function dialectOf(url: string): Dialect {
  const owns = (prefix: string) => url === prefix || url.startsWith(`${prefix}/`);
  return DIALECTS.find((d) => d.prefixes.some(owns)) ?? CLOUD_FOUNDRY;
}

/**
 * Routes taskd adds to an API that the original does not have (specs: cf-v3-tasks.md §11 puts
 * CF extensions under /v3/tasks/:guid/; dialects.md §5 names the vSphere and Dbvisit ones).
 */
function isTaskdExtension(method: string, url: string): boolean {
  if (url.startsWith('/v3/tasks/:guid/')) return url !== '/v3/tasks/:guid/actions/cancel' && url !== '/v3/tasks/:guid/cancel';
  if (method === 'GET' && url === '/api/cis/tasks') return true;
  return method === 'POST' && url === '/task/dismiss';
}

/** Registers the document and /docs; must come before the dialect plugins so it sees their routes. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'taskd',
        version: packageVersion(),
        description:
          "taskd runs one-off tasks against an app's uploaded code and speaks four task APIs over one engine: " +
          'Cloud Foundry v3, NetApp Astra Control, vSphere Automation CIS tasks and Dbvisit StandbyMP; ' +
          "and CF log cache's read API for task output. " +
          `Operations marked x-taskd-extension are taskd's own additions to an API.`,
      },
      tags: [CLOUD_FOUNDRY, ...DIALECTS].map(({ tag, description }) => ({ name: tag, description })),
      components: {
        securitySchemes: {
          bearerToken: { type: 'http', scheme: 'bearer', description: 'An access token from POST /oauth/token' },
          basicPassword: { type: 'http', scheme: 'basic', description: 'A taskd username and password' },
          vsphereSession: {
            type: 'apiKey',
            in: 'header',
            name: 'vmware-api-session-id',
            description: 'A session id from the vSphere session call',
          },
        },
      },
    },
    transform: ({ schema, url, route }) => {
      const dialect = dialectOf(url);
      const method = String(route.method);
      const extension = isTaskdExtension(method, url);
      const described = (schema as { description?: string } | undefined)?.description;
      const note = `taskd extension: not part of the ${dialect.tag} API.`;
      return {
        url,
        schema: {
          ...schema,
          // The dialect's tag replaces any a route declared: one group per dialect.
          tags: [dialect.tag],
          security: dialect.security(route),
          ...(extension && {
            'x-taskd-extension': true,
            description: described ? `${note} ${described}` : note,
          }),
        },
      };
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
    theme: { title: 'taskd API' },
  });
  // The document itself is public and outside every dialect (no dialect's auth or envelope).
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
